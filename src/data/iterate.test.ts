import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Rng } from '../core/rng.ts';
import { augmentFrom, shiftAugment } from './augment.ts';
import type { Batch } from './batch.ts';
import type { Dataset } from './dataset.ts';
import { batchCount, batches } from './iterate.ts';
import { loadMnist } from './mnist.ts';

function toy(n: number): Dataset {
  const x = Float32Array.from({ length: n * 2 }, (_, i) => Math.floor(i / 2));
  return { x, y: Int32Array.from({ length: n }, (_, i) => i % 4), shape: [2], numClasses: 4, classNames: ['a', 'b', 'c', 'd'] };
}

describe('batches', () => {
  test('in order: every sample once, the last batch short unless dropped', () => {
    const ds = toy(10);
    const sizes = [...batches(ds, 4)].map((b) => b.n);
    assert.deepEqual(sizes, [4, 4, 2]);
    assert.deepEqual([...batches(ds, 4, { dropLast: true })].map((b) => b.n), [4, 4]);
    assert.equal(batchCount(10, 4), 3);
    assert.equal(batchCount(10, 4, true), 2);
    const seen = [...batches(ds, 3)].flatMap((b) => [...b.x.filter((_, i) => i % 2 === 0)]);
    assert.deepEqual(seen, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  test('shuffled: a permutation drawn from the rng; labels travel with samples', () => {
    const ds = toy(50);
    const run = (seed: number) => [...batches(ds, 8, { rng: new Rng(seed), shuffle: true })];
    const a = run(1);
    const ids = a.flatMap((b) => [...b.x.filter((_, i) => i % 2 === 0)]);
    assert.deepEqual([...ids].sort((p, q) => p - q), Array.from({ length: 50 }, (_, i) => i));
    assert.notDeepEqual(ids, Array.from({ length: 50 }, (_, i) => i));
    for (const b of a) for (let i = 0; i < b.n; i++) assert.equal(b.y[i], b.x[2 * i] % 4);
    assert.deepEqual(run(1).map((b) => Array.from(b.y)), a.map((b) => Array.from(b.y)));
  });

  test('augmentation changes batches, never the dataset', () => {
    const ds = loadMnist('test', 64);
    const before = ds.x.slice();
    const aug = augmentFrom({ shift: 2 });
    assert.ok(aug);
    assert.equal(augmentFrom({ shift: 0 }), undefined);
    let changed = 0;
    let k = 0;
    for (const b of batches(ds, 16, { rng: new Rng(9), augment: aug })) {
      const raw = before.subarray(k * 16 * 784, (k + 1) * 16 * 784);
      for (let s = 0; s < b.n; s++) if (b.x.subarray(s * 784, (s + 1) * 784).some((v, i) => v !== raw[s * 784 + i])) changed++;
      k++;
    }
    // 1 in 25 images draws the offset (0, 0) and stays as it was.
    assert.ok(changed >= 50, `${changed} of 64 images moved`);
    assert.deepEqual(ds.x, before);
  });
});

/** The obvious per-pixel shift, as the reference for the row-copy version. */
function shiftNaive(src: Float32Array, H: number, W: number, C: number, dx: number, dy: number): Float32Array {
  const out = new Float32Array(src.length);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++)
      for (let c = 0; c < C; c++) {
        const sy = y - dy;
        const sx = x - dx;
        out[(y * W + x) * C + c] = sy >= 0 && sy < H && sx >= 0 && sx < W ? src[(sy * W + sx) * C + c] : 0;
      }
  return out;
}

describe('shiftAugment', () => {
  test('matches a per-pixel reference for every offset in [-3, 3]^2, with channels', () => {
    const H = 5;
    const W = 4;
    const C = 2;
    const d = H * W * C;
    const n = 800;
    const x = Float32Array.from({ length: n * d }, (_, i) => (i % d) + 1);
    const orig = x.slice();
    const batch: Batch = { x, y: new Int32Array(n), n };
    shiftAugment(batch, [H, W, C], 3, new Rng(11));
    // Replay the draws: each sample takes dx then dy from the same stream.
    const rng = new Rng(11);
    const seen = new Set<string>();
    for (let s = 0; s < n; s++) {
      const dx = rng.int(-3, 3);
      const dy = rng.int(-3, 3);
      seen.add(`${dx},${dy}`);
      const want = shiftNaive(orig.subarray(s * d, (s + 1) * d), H, W, C, dx, dy);
      assert.deepEqual(Array.from(x.subarray(s * d, (s + 1) * d)), Array.from(want), `sample ${s} shift ${dx},${dy}`);
    }
    assert.equal(seen.size, 49, 'all 49 offsets were exercised');
  });

  test('shifts larger than the image blank it; shapes without H and W are refused', () => {
    const x = Float32Array.from([1, 2, 3, 4]);
    const b: Batch = { x, y: new Int32Array(1), n: 1 };
    // With maxShift 9 on a 2x2 image, some draw exceeds the size; retry seeds until one blanks.
    let blanked = false;
    for (let seed = 0; seed < 20 && !blanked; seed++) {
      x.set([1, 2, 3, 4]);
      shiftAugment(b, [2, 2], 9, new Rng(seed));
      blanked = x.every((v) => v === 0);
    }
    assert.ok(blanked);
    assert.throws(() => shiftAugment(b, [4], 1, new Rng(0)), { code: 'DATA_AUGMENT_SHAPE' });
  });

  test('a full MNIST batch of 128 shifts in well under a millisecond per image', () => {
    const ds = loadMnist('test', 128);
    const b: Batch = { x: ds.x.slice(), y: ds.y, n: 128 };
    const t0 = performance.now();
    for (let r = 0; r < 10; r++) shiftAugment(b, ds.shape, 2, new Rng(r));
    const perImage = (performance.now() - t0) / 1280;
    assert.ok(perImage < 0.2, `${perImage} ms per image`);
  });
});
