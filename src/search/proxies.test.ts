import test from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { buildModel } from '../models/build.ts';
import type { ModelSpec } from '../models/spec.ts';
import { mnistHead } from '../models/testing.ts';
import { readFileSync } from 'node:fs';
import { logAbsDet, naswot, preRank, specProxy, synflow } from './proxies.ts';

const opts = { inputShape: [28, 28, 1], numClasses: 10, seed: 1 } as const;
const net = (w: number): ModelSpec => ({ blocks: [{ type: 'conv2d', filters: w, stride: 2 }, { type: 'mbconv', filters: w, expansion: 2, stride: 2 }, { type: 'globalavgpool' }] });

test.before(async () => {
  await tf.setBackend('cpu');
});

test('logAbsDet matches hand-computed determinants', () => {
  assert.ok(Math.abs(logAbsDet(Float64Array.from([2, 1, 1, 3]), 2) - Math.log(5)) < 1e-12);
  // needs a row swap: det [[0, 2], [3, 1]] = -6
  assert.ok(Math.abs(logAbsDet(Float64Array.from([0, 2, 3, 1]), 2) - Math.log(6)) < 1e-12);
  assert.equal(logAbsDet(Float64Array.from([1, 2, 2, 4]), 2), -Infinity);
});

test('NASWOT on MNIST: finite, deterministic, no leaks, and two identical inputs make K singular', () => {
  const { x } = mnistHead(16);
  const xb = tf.tensor4d(x, [16, 28, 28, 1]);
  const m = buildModel(net(8), opts);
  const before = tf.memory().numTensors;
  const a = naswot(m, xb);
  const b = naswot(m, xb);
  assert.equal(tf.memory().numTensors, before);
  assert.ok(Number.isFinite(a) && a > 0, `score ${a}`);
  assert.equal(a, b);
  // The score is at most log of N^B (a B×B kernel whose entries are at most N).
  const dup = tf.concat([tf.slice(xb, [0], [1]), tf.slice(xb, [0], [15])]);
  assert.equal(naswot(m, dup), -Infinity);
  m.dispose();
  xb.dispose();
  dup.dispose();
});

test('NASWOT reads activations fused into Dense/Conv2D: the codes equal those of the same net with separate ReLU layers', () => {
  const { x } = mnistHead(16);
  const xb = tf.tensor4d(x, [16, 28, 28, 1]);
  // 784-32-10 with the ReLU fused into the dense layer (no batch norm) ...
  const fused = buildModel({ blocks: [{ type: 'flatten' }, { type: 'dense', units: 32, activation: 'relu' }, { type: 'dense', units: 10 }] }, opts);
  // ... and the same weights with the ReLU as its own layer
  const split = buildModel({ blocks: [{ type: 'flatten' }, { type: 'dense', units: 32 }, { type: 'activation', fn: 'relu' }, { type: 'dense', units: 10 }] }, opts);
  split.setWeights(fused.getWeights());
  const a = naswot(fused, xb);
  assert.ok(Number.isFinite(a), `fused: ${a}`);
  assert.ok(Math.abs(a - naswot(split, xb)) < 1e-9, 'the same binary codes either way');
  fused.dispose();
  split.dispose();
  xb.dispose();
});

test('synflow: finite, deterministic, weights restored, wider scores higher', () => {
  const narrow = buildModel(net(4), opts);
  const wide = buildModel(net(16), opts);
  const w0 = narrow.getWeights()[0]!.dataSync().slice();
  const s1 = synflow(narrow);
  const before = tf.memory().numTensors;
  assert.equal(synflow(narrow), s1);
  assert.equal(tf.memory().numTensors, before);
  assert.deepEqual(narrow.getWeights()[0]!.dataSync(), w0);
  assert.ok(Number.isFinite(s1));
  assert.ok(synflow(wide) > s1, 'a wider net should have a larger synflow');
  narrow.dispose();
  wide.dispose();
});

test('synflow rescaling: exact on a bias-free ReLU net, and finite where float32 overflows', () => {
  const dense = (n: number, units: number): ModelSpec => ({
    blocks: [...Array.from({ length: n }, () => ({ type: 'dense' as const, units, activation: 'relu' as const, bias: false })), { type: 'dense', units: 10, bias: false }],
  });
  const small = buildModel(dense(3, 32), { inputShape: [16], seed: 2 });
  const plain = synflow(small);
  const scaled = synflow(small, { rescale: 'always' });
  assert.ok(Math.abs(plain - scaled) < 1e-4, `${plain} vs ${scaled}`);
  small.dispose();
  // 40 layers of 256 |glorot| weights: R ~ 13^40, past float32's 3.4e38
  const deep = buildModel(dense(40, 256), { inputShape: [256], seed: 2 });
  const s = synflow(deep);
  assert.ok(Number.isFinite(s) && s > Math.log(3.4e38), `deep synflow log ${s}`);
  deep.dispose();
});

test('preRank keeps the k best by a proxy, NaN last', async () => {
  const score = specProxy('synflow', opts);
  const ranked = await preRank([net(4), net(16), net(8)], score, 2);
  assert.deepEqual(ranked.map((r) => (r.item.blocks[0] as { filters: number }).filters), [16, 8]);
  const byValue = await preRank(['a', 'b', 'c'], (s) => ({ a: 1, b: NaN, c: 3 })[s]!, 3);
  assert.deepEqual(byValue.map((r) => r.item), ['c', 'a', 'b']);
});

interface Encoded { shape: number[]; data: number[] }
interface ProxyCase { name: string; sizes: number[]; bias: boolean; weights: Encoded[]; x: Encoded; naswot: number; synflow: number }

// Reference scores computed independently, in PyTorch float64 from the papers' definitions
// (scripts/golden/proxies.py): a proxy that taps the wrong layers, drops the (1-c)(1-c)^T half
// of the kernel, forgets the biases or the |θ| would miss them.
test('NASWOT and synflow match PyTorch on small MLPs (fixtures/proxies.json)', () => {
  const doc = JSON.parse(readFileSync(new URL('./fixtures/proxies.json', import.meta.url), 'utf8')) as { cases: ProxyCase[] };
  assert.equal(doc.cases.length, 2);
  for (const c of doc.cases) {
    const blocks = c.sizes.slice(1).map((units, i) => ({ type: 'dense' as const, units, bias: c.bias, ...(i < c.sizes.length - 2 ? { activation: 'relu' as const } : {}) }));
    const m = buildModel({ blocks }, { inputShape: [c.sizes[0]!], seed: 1 });
    m.setWeights(c.weights.map((w) => tf.tensor(w.data, w.shape)));
    const x = tf.tensor2d(c.x.data, c.x.shape as [number, number]);
    // K holds whole numbers, so the determinant is exact up to float64 LU rounding
    const nas = naswot(m, x);
    assert.ok(Math.abs(nas - c.naswot) < 1e-9, `${c.name}: NASWOT ${nas}, PyTorch ${c.naswot}`);
    // synflow runs in float32: its log agrees to float32's ~1e-7 relative
    const syn = synflow(m);
    assert.ok(Math.abs(syn - c.synflow) < 1e-5, `${c.name}: synflow ${syn}, PyTorch ${c.synflow}`);
    x.dispose();
    m.dispose();
  }
});
