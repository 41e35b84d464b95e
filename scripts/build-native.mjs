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
// What running on wasm costs, and the fix (src/engine/engine.ts says the same at a job's start;
// a test keeps the two in step).
const NATIVE_INSTALL = 'apt-get install libdnnl-dev && npm rebuild distillery';
const WASM_COST = 'about 2.5x slower (the quickstart: 6 min 17 s against 2 min 32 s native on 2 cores)';

if (mode === '0' || mode === 'off') {
  say('native kernel pack skipped (DISTILLERY_NATIVE=0); the wasm engine will be used');
  process.exit(0);
}
const headers = ['/usr/include/oneapi/dnnl/dnnl.hpp', '/usr/local/include/oneapi/dnnl/dnnl.hpp', '/opt/homebrew/include/oneapi/dnnl/dnnl.hpp'];
if (!headers.some((h) => existsSync(h))) {
  const msg = `native engine not built: oneDNN headers not found; using wasm, ${WASM_COST}; for the native engine (Debian/Ubuntu): ${NATIVE_INSTALL}`;
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
  const msg = `native engine failed to build (${last}); using wasm, ${WASM_COST}`;
  say(msg);
  process.exit(mode === 'require' ? 1 : 0);
}
say('native kernel pack built (oneDNN)');
