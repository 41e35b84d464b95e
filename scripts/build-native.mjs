// Builds the optional native kernel pack (C++ over oneDNN) at install. It never fails the
// install: where oneDNN or a compiler is missing it says so in one line and distillery runs on
// wasm instead. DISTILLERY_NATIVE=0 skips it; DISTILLERY_NATIVE=require makes a failure fatal (CI).
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const mode = process.env.DISTILLERY_NATIVE ?? 'auto';
const say = (msg) => process.stderr.write(`distillery: ${msg}\n`);

if (mode === '0' || mode === 'off') {
  say('native kernel pack skipped (DISTILLERY_NATIVE=0); the wasm engine will be used');
  process.exit(0);
}
const headers = ['/usr/include/oneapi/dnnl/dnnl.hpp', '/usr/local/include/oneapi/dnnl/dnnl.hpp', '/opt/homebrew/include/oneapi/dnnl/dnnl.hpp'];
if (!headers.some((h) => existsSync(h))) {
  const msg = 'native kernel pack not built: oneDNN headers not found (Debian/Ubuntu: apt-get install libdnnl-dev, then npm rebuild distillery); using wasm';
  if (mode === 'require') { say(msg); process.exit(1); }
  say(msg);
  process.exit(0);
}
const gyp = process.env.npm_config_node_gyp;
const cmd = gyp ? [process.execPath, [gyp, 'rebuild', '--nodedir=/usr']] : ['node-gyp', ['rebuild', '--nodedir=/usr']];
const nodedir = process.env.npm_config_nodedir;
if (nodedir) cmd[1][cmd[1].length - 1] = `--nodedir=${nodedir}`;
const r = spawnSync(cmd[0], cmd[1], { cwd: join(root, 'native'), stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
if (r.status !== 0) {
  const last = (r.stderr ?? String(r.error ?? '')).trim().split('\n').slice(-3).join(' | ');
  const msg = `native kernel pack failed to build (${last}); using wasm`;
  say(msg);
  process.exit(mode === 'require' ? 1 : 0);
}
say('native kernel pack built (oneDNN)');
