import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const SRC = resolve(HERE, '../..');

/** Runs nativeSkip() in a fresh process (the addon is loaded once per process) with `env` added. */
function nativeSkipIn(env: Record<string, string | undefined>) {
  const script = `const { nativeSkip } = await import(${JSON.stringify(join(HERE, 'testing.ts'))}); console.log(JSON.stringify(nativeSkip()));`;
  const e: Record<string, string | undefined> = { ...process.env, ...env };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete e[k];
  return spawnSync(process.execPath, ['--import', join(HERE, '../../../bin/ts-register.js'), '--input-type=module', '-e', script], { encoding: 'utf8', env: e as NodeJS.ProcessEnv });
}

test('without the native pack a user\'s machine skips with the reason, CI fails', () => {
  const user = nativeSkipIn({ CI: undefined, DISTILLERY_NATIVE: '0' });
  assert.equal(user.status, 0, user.stderr);
  assert.match(JSON.parse(user.stdout) as string, /native kernel pack turned off by DISTILLERY_NATIVE=0: test skipped/);
  const ci = nativeSkipIn({ CI: '1', DISTILLERY_NATIVE: '0' });
  assert.notEqual(ci.status, 0, 'in CI a missing native pack must fail, not skip');
  assert.match(ci.stderr, /native kernel pack turned off by DISTILLERY_NATIVE=0; CI must build it/);
});

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'web' ? [] : testFiles(p);
    return e.name.endsWith('.test.ts') || e.name.endsWith('.test-util.ts') ? [p] : [];
  });
}

test('every test of the native backend takes its skip from nativeSkip, none decides on its own', () => {
  const native: string[] = [];
  for (const file of testFiles(SRC)) {
    if (file === fileURLToPath(import.meta.url)) continue;
    const text = readFileSync(file, 'utf8');
    const name = relative(SRC, file);
    // a skip computed from the addon (the old pattern) would skip silently in CI
    assert.doesNotMatch(text, /(addon|loadNativeAddon\(\)) \? (false|test)\b|nativeUnavailableReason/, `${name} decides its own native skip; use nativeSkip() from engine/native/testing.ts`);
    // what runs native kernels: the engine started on native, a backend list holding it, the
    // comparisons (not a mere 'native' in an event a test makes up or an assertion on `auto`)
    if (/initEngine\(\{ backend: 'native'|'native'\]|nativeVsCpu|nativeKernels\(/.test(text)) {
      assert.match(text, /native\/testing\.ts'|'\.\/testing\.ts'/, `${name} runs native kernels without nativeSkip()`);
      native.push(name);
    }
  }
  // the files issue-listed as native tests are all found (a rename would otherwise hide one)
  for (const f of ['engine/native/conv.test.ts', 'engine/native/matmul.test.ts', 'engine/native/profile.test.ts', 'models/gradients.test.ts', 'models/batchnorm.test.ts']) assert.ok(native.includes(f), `${f} not seen as a native test`);
});
