import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Rng } from '../core/rng.ts';
import type { Dataset } from './dataset.ts';
import { size } from './dataset.ts';
import { fingerprint } from './fingerprint.ts';
import { loadMnist } from './mnist.ts';
import { explicitStats, normalize, scaleStats, standardizeStats } from './normalize.ts';
import { shuffle, split, subset, take, validationCount } from './ops.ts';

/** n samples of shape [2, 2, 2]: sample i holds 8 values 100*i + (0..7); label i mod k. */
function toy(n: number, k = 3): Dataset {
  const x = new Float32Array(n * 8);
  for (let i = 0; i < x.length; i++) x[i] = 100 * Math.floor(i / 8) + (i % 8);
  const y = Int32Array.from({ length: n }, (_, i) => i % k);
  return { x, y, shape: [2, 2, 2], numClasses: k, classNames: Array.from({ length: k }, (_, i) => `c${i}`) };
}

const counts = (ds: Dataset) => {
  const c = new Array(ds.numClasses).fill(0);
  for (const l of ds.y) c[l]++;
  return c;
};

describe('subset, take, shuffle', () => {
  test('subset copies the chosen samples in order and leaves the input alone', () => {
    const ds = toy(5);
    const before = ds.x.slice();
    const s = subset(ds, [4, 1]);
    assert.deepEqual(Array.from(s.x.subarray(0, 8)), [400, 401, 402, 403, 404, 405, 406, 407]);
    assert.deepEqual(Array.from(s.y), [1, 1]);
    s.x[0] = -1;
    assert.deepEqual(ds.x, before);
  });

  test('take keeps the first n; shuffle is a seeded permutation keeping pairs together', () => {
    const ds = toy(10);
    assert.deepEqual(Array.from(take(ds, 3).y), [0, 1, 2]);
    assert.equal(size(take(ds, 99)), 10);
    const a = shuffle(ds, new Rng(5));
    const b = shuffle(ds, new Rng(5));
    assert.deepEqual(a.y, b.y);
    assert.notDeepEqual(Array.from(a.x), Array.from(ds.x));
    for (let i = 0; i < 10; i++) {
      const orig = a.x[i * 8] / 100;
      assert.equal(a.y[i], orig % 3, 'label follows its sample');
    }
    assert.deepEqual([...a.x.filter((_, i) => i % 8 === 0)].sort((p, q) => p - q), [...ds.x.filter((_, i) => i % 8 === 0)]);
  });
});

describe('split', () => {
  test('fractions and counts', () => {
    assert.equal(validationCount(60000, 0.1), 6000);
    assert.equal(validationCount(100, 7), 7);
  });

  test('stratified on MNIST: exact total, each class within one sample of its share, disjoint', () => {
    const ds = loadMnist('train', 2000);
    const { train, validation } = split(ds, 0.1, new Rng(3));
    assert.equal(size(validation), 200);
    assert.equal(size(train), 1800);
    const all = counts(ds);
    const va = counts(validation);
    for (let c = 0; c < 10; c++) assert.ok(Math.abs(va[c] - all[c] * 0.1) < 1, `class ${c}: ${va[c]} of ${all[c]}`);
    // Disjoint and complete: the two parts' images are exactly the original images.
    const key = (d: Dataset, i: number) => d.x.subarray(i * 784, (i + 1) * 784).join(',');
    const seen = new Set<string>();
    for (const d of [train, validation]) for (let i = 0; i < size(d); i++) seen.add(key(d, i));
    const orig = new Set(Array.from({ length: 2000 }, (_, i) => key(ds, i)));
    assert.equal(seen.size, orig.size);
  });

  test('the same seed gives the same split; another seed another; unstratified works', () => {
    const ds = toy(60);
    assert.deepEqual(split(ds, 0.25, new Rng(1)).validation.x, split(ds, 0.25, new Rng(1)).validation.x);
    assert.notDeepEqual(split(ds, 0.25, new Rng(1)).validation.x, split(ds, 0.25, new Rng(2)).validation.x);
    const u = split(ds, 15, new Rng(1), { stratify: false });
    assert.equal(size(u.validation), 15);
    assert.equal(size(u.train), 45);
  });
});

describe('normalisation', () => {
  test('scale uses the recorded range, else train min/max', () => {
    const img = loadMnist('test', 50);
    const s = scaleStats(img);
    assert.deepEqual([s.mean, s.std], [[0], [255]]);
    const n = normalize(img, s);
    assert.equal(Math.max(...n.x), 1);
    assert.equal(n.valueRange, undefined);
    const { valueRange: _drop, ...raw } = toy(4);
    const t = scaleStats(raw); // values 0..307
    assert.deepEqual([t.mean, t.std], [[0], [307]]);
  });

  test('standardize per channel, global and per feature match hand computation', () => {
    const ds = toy(4); // channel 0 holds even offsets, channel 1 odd: 100i + {0,2,4,6} / {1,3,5,7}
    const ch = standardizeStats(ds);
    assert.equal(ch.mean.length, 2);
    assert.ok(Math.abs(ch.mean[0] - 153) < 1e-9 && Math.abs(ch.mean[1] - 154) < 1e-9, String(ch.mean));
    const vals0 = [0, 1, 2, 3].flatMap((i) => [0, 2, 4, 6].map((o) => 100 * i + o));
    const sd0 = Math.sqrt(vals0.reduce((a, v) => a + (v - 153) ** 2, 0) / vals0.length);
    assert.ok(Math.abs(ch.std[0] - sd0) < 1e-9);
    assert.equal(standardizeStats(ds, 'global').mean.length, 1);
    assert.ok(Math.abs(standardizeStats(ds, 'global').mean[0] - 153.5) < 1e-9);
    const f = standardizeStats(ds, 'feature');
    assert.equal(f.mean.length, 8);
    assert.ok(Math.abs(f.mean[3] - 153) < 1e-9);
    const n = normalize(ds, ch);
    const m0 = [...n.x].filter((_, i) => i % 2 === 0).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(m0) < 1e-4, 'channel 0 has mean 0 after');
  });

  test('MNIST training statistics: the well-known 0.1307 / 0.3081 on [0, 1] values', () => {
    const s = standardizeStats(loadMnist('train'));
    assert.ok(Math.abs(s.mean[0] / 255 - 0.1307) < 5e-5, String(s.mean[0] / 255));
    assert.ok(Math.abs(s.std[0] / 255 - 0.3081) < 5e-5, String(s.std[0] / 255));
  });

  test('constant features get std 1; explicit stats broadcast and apply', () => {
    const ds: Dataset = { x: Float32Array.from([5, 1, 5, 3]), y: Int32Array.from([0, 1]), shape: [2], numClasses: 2, classNames: ['a', 'b'] };
    const f = standardizeStats(ds, 'feature');
    assert.deepEqual(f.std, [1, 1]);
    assert.deepEqual(Array.from(normalize(ds, f).x), [0, -1, 0, 1]);
    const e = explicitStats([1, 2], 2);
    assert.deepEqual(e.std, [2, 2]);
    assert.deepEqual(Array.from(normalize(ds, e).x), [2, -0.5, 2, 0.5]);
  });
});

describe('fingerprint', () => {
  test('stable, 64 hex digits, and sensitive to a value, a label and the order', () => {
    const ds = toy(6);
    const f = fingerprint(ds);
    assert.match(f, /^[0-9a-f]{64}$/);
    assert.equal(fingerprint(toy(6)), f);
    const x = ds.x.slice();
    x[13] += 1e-3;
    assert.notEqual(fingerprint({ ...ds, x }), f);
    const y = ds.y.slice();
    y[0] = 2;
    assert.notEqual(fingerprint({ ...ds, y }), f);
    assert.notEqual(fingerprint(subset(ds, [1, 0, 2, 3, 4, 5])), f);
    assert.notEqual(fingerprint({ ...ds, shape: [8] }), f);
    // A view into a larger buffer hashes only its own bytes.
    const big = toy(7);
    assert.equal(fingerprint({ ...big, x: big.x.subarray(0, 48), y: big.y.subarray(0, 6) }), f);
  });
});
