import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { disposeEngine, initEngine } from '../index.ts';
import { loadNativeAddon } from './addon.ts';
import { nativeSkip } from './testing.ts';
import { formatKernelProfile, KernelRecorder, profileKernels } from './profile.ts';
import { nativeKernels } from './register.ts';

after(async () => { await disposeEngine(); });

const mat = (rows: number, cols: number, seed: number): tf.Tensor2D =>
  tf.tensor2d(Float32Array.from({ length: rows * cols }, (_, i) => Math.sin(seed + i)), [rows, cols]);

test('profileKernels counts every kernel call, forward and gradient, and sorts by time', async () => {
  await initEngine({ backend: 'cpu' });
  const a = mat(64, 96, 1);
  const b = mat(96, 80, 2);
  const p = await profileKernels(() => {
    // 3 forward matmuls and 1 add, then a gradient: d/dw sum(a·w) = aᵀ·1, one more matmul.
    tf.tidy(() => {
      for (let i = 0; i < 3; i++) tf.matMul(a, b);
      tf.add(a, a);
      tf.grad((w: tf.Tensor) => tf.sum(tf.matMul(a, w)))(b);
    });
  });
  const calls = Object.fromEntries(p.kernels.map((k) => [k.kernel, k.calls]));
  // forward: 3 + 1 inside grad; backward: 1, as tfjs computes only the input gradient asked for (w)
  assert.equal(calls['BatchMatMul'], 3 + 1 + 1);
  assert.equal(calls['Add'], 1);
  assert.ok(calls['Sum']! >= 1);
  assert.equal(p.backend, 'cpu');
  for (let i = 1; i < p.kernels.length; i++) assert.ok(p.kernels[i - 1]!.ms >= p.kernels[i]!.ms, 'sorted by time, largest first');
  const sum = p.kernels.reduce((s, k) => s + k.ms, 0);
  assert.ok(Math.abs(sum - p.kernelMs) < 1e-9);
  assert.ok(p.kernelMs > 0 && p.kernelMs <= p.wallMs);
  // the matmuls (64x96x80 MACs each) dominate an add of 6k values
  assert.equal(p.kernels[0]!.kernel, 'BatchMatMul');
  a.dispose();
  b.dispose();
});

test('profileKernels awaits an async function and splits kernels by input shape on request', async () => {
  await initEngine({ backend: 'cpu' });
  const a = mat(8, 16, 3);
  const b = mat(16, 4, 4);
  const c = mat(4, 16, 5);
  const p = await profileKernels(async () => {
    await new Promise((r) => setTimeout(r, 5));
    tf.tidy(() => {
      tf.matMul(a, b);
      tf.matMul(a, b);
      tf.matMul(b, c);
    });
  }, { byShape: true });
  const calls = Object.fromEntries(p.kernels.map((k) => [k.kernel, k.calls]));
  assert.deepEqual(calls, { 'BatchMatMul 8x16 16x4': 2, 'BatchMatMul 16x4 4x16': 1 });
  // the 5 ms sleep is wall time outside any kernel
  assert.ok(p.wallMs - p.kernelMs >= 4, `wall ${p.wallMs} kernels ${p.kernelMs}`);
  for (const t of [a, b, c]) t.dispose();
});

test('KernelRecorder records only between start and stop, and counts custom-gradient scopes once', async () => {
  await initEngine({ backend: 'cpu' });
  const a = mat(16, 16, 8);
  const rec = new KernelRecorder();
  tf.tidy(() => {
    tf.matMul(a, a); // before start: not recorded
    rec.start();
    assert.throws(() => new KernelRecorder().start(), /already recording/);
    const f = tf.customGrad((...args) => ({ value: tf.relu(args[0] as tf.Tensor), gradFunc: (dy: tf.Tensor) => dy }));
    f(tf.neg(a));
    tf.matMul(a, a);
    rec.stop();
    tf.matMul(a, a); // after stop: not recorded
  });
  const p = await rec.result();
  const calls = Object.fromEntries(p.kernels.map((k) => [k.kernel, k.calls]));
  assert.deepEqual(calls, { BatchMatMul: 1, Neg: 1, Relu: 1 });
  assert.ok(p.kernelMs <= p.wallMs);
  a.dispose();
});

test('formatKernelProfile shows per-step times and calls, the rest summed, and the JS outside kernels', () => {
  const p = {
    backend: 'native',
    wallMs: 100,
    kernelMs: 80,
    kernels: [
      { kernel: 'BatchMatMul', ms: 60, calls: 12, share: 0.6 },
      { kernel: 'Add', ms: 15, calls: 30, share: 0.15 },
      { kernel: 'Relu', ms: 5, calls: 6, share: 0.05 },
    ],
  };
  const lines = formatKernelProfile(p, { top: 2, per: 4 }).split('\n');
  assert.match(lines[0]!, /^kernel\s+ms\/step\s+share\s+calls\/step$/);
  assert.match(lines[1]!, /^BatchMatMul\s+15\.00\s+60\.0%\s+3$/);
  assert.match(lines[2]!, /^Add\s+3\.75\s+15\.0%\s+7\.5$/);
  assert.match(lines[3]!, /^\(1 more kernels\)\s+1\.25\s+5\.0%\s+1\.5$/);
  assert.match(lines[4]!, /^\(JS outside kernels\)\s+5\.00\s+20\.0%\s*$/);
  assert.match(lines[5]!, /^total on native\s+25\.00\s+100\.0%\s+12$/);
});

test('formatKernelProfile marks native and stock JS kernels on the native backend and sums the JS ones', () => {
  const p = {
    backend: 'native',
    wallMs: 50,
    kernelMs: 40,
    kernels: [
      { kernel: 'BatchMatMul', ms: 20, calls: 4, share: 0.4, impl: 'native' as const },
      { kernel: 'Tile', ms: 12, calls: 2, share: 0.24, impl: 'js' as const },
      { kernel: 'Cast', ms: 8, calls: 2, share: 0.16, impl: 'js' as const },
    ],
  };
  const lines = formatKernelProfile(p, { per: 2 }).split('\n');
  assert.match(lines[0]!, /calls\/step  impl$/);
  assert.match(lines[1]!, /^BatchMatMul\s+10\.00\s+40\.0%\s+2  native$/);
  assert.match(lines[2]!, /^Tile\s+6\.00\s+24\.0%\s+1  js$/);
  assert.match(lines[5]!, /^\(stock JS kernels: 2\)\s+10\.00\s+40\.0%\s+2  js$/);
});

test('profileKernels on the native backend', { skip: nativeSkip() }, async () => {
  await initEngine({ backend: 'native', threads: 2 });
  const x = mat(32, 48, 6);
  const w = tf.variable(mat(48, 10, 7));
  const before = tf.memory().numTensors;
  const p = await profileKernels(() => {
    for (let i = 0; i < 3; i++) {
      tf.tidy(() => {
        const { grads } = tf.variableGrads(() => tf.mean(tf.square(tf.matMul(x, w))), [w]);
        w.assign(tf.sub(w, tf.mul(0.01, grads[w.name]!)));
      });
    }
  });
  assert.equal(p.backend, 'native');
  // a kernel the pack registers is tagged native, one it leaves to TF.js's cpu backend js
  const ours = new Set(nativeKernels(loadNativeAddon()!).map((k) => k.kernelName));
  for (const k of p.kernels) assert.equal(k.impl, ours.has(k.kernel) ? 'native' : 'js', k.kernel);
  // per step: 1 forward matmul and 1 for the weight gradient (none for the constant x)
  assert.equal(p.kernels.find((k) => k.kernel === 'BatchMatMul')?.calls, 6);
  assert.equal(tf.memory().numTensors, before, 'profiling keeps no tensors');
  x.dispose();
  w.dispose();
});
