import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { availableParallelism } from 'node:os';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isDistilleryError } from '../core/errors.ts';
import { disposeEngine, engineInfo, initEngine, NATIVE_INSTALL, wasmFallbackNote, wasmKernelNames, wasmKernelsActive } from './index.ts';
import { testThreads } from './reference.ts';
import { loadNativeAddon } from './native/addon.ts';

// The CLI's .ts loader (a loader in the child's flags, which the pthread workers must not inherit).
const TS_LOADER = fileURLToPath(new URL('../../bin/ts-register.js', import.meta.url));

after(async () => { await disposeEngine(); });

describe('initEngine', () => {
  test('cpu: reports the backend that actually runs', async () => {
    const info = await initEngine({ backend: 'cpu' });
    assert.equal(info.backend, 'cpu');
    assert.equal(tf.getBackend(), 'cpu');
    assert.deepEqual(engineInfo(), info);
  });

  test('wasm, 1 thread, with distillery kernels', async () => {
    const info = await initEngine({ backend: 'wasm', threads: 1 });
    assert.equal(tf.getBackend(), 'wasm');
    assert.deepEqual({ backend: info.backend, threads: info.threads, simd: info.simd }, { backend: 'wasm', threads: 1, simd: true });
    assert.ok(wasmKernelsActive());
    assert.ok(wasmKernelNames().includes('Conv2DBackpropFilter'));
  });

  test('wasm threads: runs with the threads asked for, or says why not', async () => {
    const want = Math.max(2, testThreads());
    const info = await initEngine({ backend: 'wasm', threads: want });
    if (info.threads === 1) {
      assert.equal(info.notes.length, 1, 'a fallback to 1 thread must carry a note');
      assert.match(info.notes[0]!, /^threads: fell back to 1/);
    } else {
      assert.equal(info.threads, want);
    }
    // The threaded module computes like the single-threaded one.
    const y = tf.tidy(() => tf.matMul(tf.ones([64, 32]), tf.fill([32, 16], 0.5)).dataSync());
    assert.equal(y[0], 16);
    assert.equal(y[y.length - 1], 16);
  });

  test('stock kernels: conv gradients are missing again, and come back after', async () => {
    const info = await initEngine({ backend: 'wasm', threads: 1, kernels: 'stock' });
    assert.equal(info.notes.length, 1);
    const convGrad = () => tf.tidy(() => tf.grad((w: tf.Tensor) => tf.sum(tf.conv2d(tf.ones([1, 4, 4, 1]) as tf.Tensor4D, w as tf.Tensor4D, 1, 'same')))(tf.ones([3, 3, 1, 1])).dataSync());
    assert.throws(convGrad, /Conv2DBackpropFilter/);
    await initEngine({ backend: 'wasm', threads: 1 });
    // Centre tap sees all 16 pixels; a corner tap of a same-padded 4x4 sees 3x3 of them.
    const g = convGrad();
    assert.equal(g[4], 16);
    assert.equal(g[0], 9);
  });

  test('node: a clear error when @tensorflow/tfjs-node is not installed', async () => {
    await assert.rejects(initEngine({ backend: 'node' }), (e: unknown) => isDistilleryError(e) && e.code === 'ENGINE_NODE_MISSING' && !!e.hint);
  });

  test('bad options are user errors with a code', async () => {
    await assert.rejects(initEngine({ backend: 'wasm', threads: 0 }), (e: unknown) => isDistilleryError(e) && e.code === 'ENGINE_THREADS');
    await assert.rejects(initEngine({ backend: 'gpu' as never }), (e: unknown) => isDistilleryError(e) && e.code === 'ENGINE_BACKEND' && e.message.includes('known: auto, native, wasm, cpu, node'));
  });

  test('a script on threaded wasm exits by itself (worker threads do not hold it open)', () => {
    const engine = fileURLToPath(new URL('./index.ts', import.meta.url));
    // --input-type also checks that the pthread workers do not inherit the parent's flags.
    const script = `import { initEngine } from ${JSON.stringify(engine)}; const i = await initEngine({ backend: 'wasm', threads: 2 }); console.log(i.backend);`;
    const r = spawnSync(process.execPath, ['--import', TS_LOADER, '--input-type=module', '-e', script], { timeout: 30_000, encoding: 'utf8' });
    assert.equal(r.signal, null, 'killed by the timeout: the process did not exit');
    assert.equal(r.status, 0, r.stderr.slice(-2000));
    assert.equal(r.stdout.trim(), 'wasm');
  });

  test('auto picks the native pack when it is built, else wasm, with every core', async () => {
    const info = await initEngine();
    assert.equal(info.backend, loadNativeAddon() ? 'native' : 'wasm');
    assert.ok(info.threads >= 1 && info.threads <= availableParallelism());
    // a fallback note only when auto had to fall back
    assert.equal(info.fallback === undefined, info.backend === 'native');
  });

  test('auto falls back to wasm with a note when the native pack is turned off', () => {
    const engine = fileURLToPath(new URL('./index.ts', import.meta.url));
    const script = `import { initEngine } from ${JSON.stringify(engine)}; const i = await initEngine(); console.log(JSON.stringify(i));`;
    const r = spawnSync(process.execPath, ['--import', TS_LOADER, '--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, DISTILLERY_NATIVE: '0' } });
    assert.equal(r.status, 0, r.stderr);
    const info = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { backend: string; notes: string[]; fallback?: string };
    assert.equal(info.backend, 'wasm');
    assert.ok(info.notes.some((n) => n.includes('DISTILLERY_NATIVE=0')), info.notes.join('; '));
    // what a job says as it starts: the cost, and here (turned off on purpose) how to turn it on
    assert.match(info.fallback ?? '', /turned off by DISTILLERY_NATIVE=0: using wasm, about 2\.5x slower .*; for the native engine: unset DISTILLERY_NATIVE$/);
    assert.ok(info.notes.includes(info.fallback!));
  });

  test('the wasm fallback note names the cost and the one command that builds the native engine', () => {
    const note = wasmFallbackNote('not built (oneDNN was not found at install)');
    assert.equal(note, 'native engine not built (oneDNN was not found at install): using wasm, about 2.5x slower (the quickstart: 6 min 17 s against 2 min 32 s native on 2 cores); for the native engine: apt-get install libdnnl-dev && npm rebuild distillery');
    assert.match(wasmFallbackNote('failed to load: libdnnl.so.2: cannot open shared object file'), /for the native engine: apt-get install libdnnl-dev && npm rebuild distillery$/);
    // the install step says the same (scripts/build-native.mjs runs at npm install)
    const install = readFileSync(fileURLToPath(new URL('../../scripts/build-native.mjs', import.meta.url)), 'utf8');
    assert.ok(install.includes(`'${NATIVE_INSTALL}'`), 'build-native.mjs names the same command');
    assert.ok(install.includes('about 2.5x slower (the quickstart: 6 min 17 s against 2 min 32 s native on 2 cores)'), 'build-native.mjs gives the same cost');
  });
});
