import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Rng } from '../../core/rng.ts';
import { mixNoise, specAugment, timeShift } from './augment.ts';
import { sine } from './fixtures.test-util.ts';

const power = (x: Float32Array) => x.reduce((a, v) => a + v * v, 0) / x.length;

describe('audio augmentation', () => {
  test('timeShift moves each clip by its own offset, zeros shifted in, within ±max', () => {
    const n = 50;
    const len = 20;
    const x = new Float32Array(n * len);
    for (let s = 0; s < n; s++) for (let i = 0; i < len; i++) x[s * len + i] = i + 1;
    timeShift({ x, y: new Int32Array(n), n }, len, 5, new Rng(7));
    const seen = new Set<number>();
    for (let s = 0; s < n; s++) {
      const c = Array.from(x.subarray(s * len, (s + 1) * len));
      // The first non-zero value tells the shift: value v at index i means shift i - (v - 1).
      const i = c.findIndex((v) => v !== 0);
      const k = i - (c[i] - 1);
      seen.add(k);
      assert.ok(Math.abs(k) <= 5, `shift ${k}`);
      const want = Array.from({ length: len }, (_, j) => (j - k >= 0 && j - k < len ? j - k + 1 : 0));
      assert.deepEqual(c, want, `clip ${s} shifted by ${k}`);
    }
    // 50 draws from 11 offsets: both signs and zero show up.
    assert.ok(seen.has(-5) || seen.has(-4));
    assert.ok(seen.has(5) || seen.has(4));
    assert.ok(seen.size >= 9, `offsets seen ${[...seen]}`);
  });

  test('mixNoise hits the drawn SNR and leaves silent clips alone', () => {
    const len = 4000;
    const clean = sine(len, 440, 16000, 0.5);
    const noiseRng = new Rng(1);
    const noise = [Float32Array.from({ length: 10000 }, () => noiseRng.normal() * 0.1)];
    for (const snr of [0, 10, 20]) {
      const x = new Float32Array(2 * len);
      x.set(clean);
      mixNoise({ x, y: new Int32Array(2), n: 2 }, len, noise, { probability: 1, snr: [snr, snr] }, new Rng(snr));
      const added = x.subarray(0, len).map((v, i) => v - clean[i]);
      const got = 10 * Math.log10(power(clean) / power(added));
      assert.ok(Math.abs(got - snr) < 1e-3, `SNR ${got} dB, wanted ${snr}`);
      assert.ok(x.subarray(len).every((v) => v === 0), 'the all-zero clip has no SNR and stays silent');
    }
    const x = clean.slice();
    mixNoise({ x, y: new Int32Array(1), n: 1 }, len, noise, { probability: 0, snr: [0, 0] }, new Rng(1));
    assert.deepEqual(x, clean);
  });

  test('specAugment masks whole frames and whole bins, at most the widths, seeded', () => {
    const n = 20;
    const T = 30;
    const F = 16;
    const run = (seed: number) => {
      const x = new Float32Array(n * T * F).fill(1);
      specAugment(x, n, T, F, { timeMasks: 1, timeWidth: 6, freqMasks: 1, freqWidth: 4 }, new Rng(seed));
      return x;
    };
    const x = run(3);
    assert.deepEqual(run(3), x);
    assert.notDeepEqual(run(4), x);
    let anyMasked = false;
    for (let s = 0; s < n; s++) {
      const m = x.subarray(s * T * F, (s + 1) * T * F);
      const rowZero = (t: number) => m.subarray(t * F, (t + 1) * F).every((v) => v === 0);
      const colZero = (f: number) => Array.from({ length: T }, (_, t) => m[t * F + f]).every((v) => v === 0);
      const rows = Array.from({ length: T }, (_, t) => t).filter(rowZero);
      const cols = Array.from({ length: F }, (_, f) => f).filter(colZero);
      assert.ok(rows.length <= 6 && cols.length <= 4, `sample ${s}: ${rows.length} frames, ${cols.length} bins masked`);
      // Every zero lies in a masked frame or a masked bin, and masked runs are contiguous.
      for (let t = 0; t < T; t++) for (let f = 0; f < F; f++) if (m[t * F + f] === 0) assert.ok(rows.includes(t) || cols.includes(f));
      if (rows.length > 1) assert.equal(rows[rows.length - 1] - rows[0], rows.length - 1);
      if (cols.length > 1) assert.equal(cols[cols.length - 1] - cols[0], cols.length - 1);
      anyMasked ||= rows.length > 0 && cols.length > 0;
    }
    assert.ok(anyMasked);
  });
});
