import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { disposeEngine, initEngine } from '../engine/index.ts';
import { frontEndApply, frontEndTensors } from './frontend.ts';
import { dctMatrix, frontEndMatrices, hzToMel, melToHz } from './matrices.ts';
import type { FrontEndInput } from './spec.ts';
import { featureShape, resolveFrontEnd } from './spec.ts';

interface Encoded {
  shape: number[];
  data: number[];
}
interface Case {
  name: string;
  frontEnd: FrontEndInput;
  mel: Encoded;
  logMel: Encoded;
  mfcc?: Encoded;
}
/** Written by scripts/golden/audio_frontend.py: numpy's FFT and a numpy port of librosa's filters. */
const golden = JSON.parse(readFileSync(new URL('./fixtures/frontend.json', import.meta.url), 'utf8')) as { waves: Encoded; cases: Case[] };

/** The contract of issue 15: every value within 1e-4 relative of the float64 reference. */
const RTOL = 1e-4;

/**
 * Worst |a - b| / max(|b|, floor) over the elements. For log-mel and MFCC the floor is 1: a
 * log value near 0 (an energy near 1, an accident of units) has no meaningful relative error,
 * and an absolute error d in ln(E) is a relative error d in the energy E itself. For the mel
 * matrix the floor is 1e-30: truly relative.
 */
function worstRel(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(Math.abs(b[i]), floor));
  return worst;
}

/**
 * MFCC error per frame, relative to the frame's largest coefficient (a norm-wise relative
 * error). The DCT is orthonormal, so an MFCC frame carries exactly the log-mel frame's error;
 * element by element, the small coefficients are differences of large log values and float32
 * cannot pin them to 1e-4 of themselves (wasm reaches 1.7e-4 on the HTK case).
 */
function worstFrameRel(a: ArrayLike<number>, b: ArrayLike<number>, k: number): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let f = 0; f < b.length / k; f++) {
    let scale = 0;
    let err = 0;
    for (let i = f * k; i < (f + 1) * k; i++) {
      scale = Math.max(scale, Math.abs(b[i]));
      err = Math.max(err, Math.abs(a[i] - b[i]));
    }
    worst = Math.max(worst, err / Math.max(scale, 1e-30));
  }
  return worst;
}

describe('front-end matrices', () => {
  test('mel scales: fixed points of Slaney and HTK, and round trips', () => {
    assert.equal(hzToMel(1000, 'slaney'), 15);
    assert.ok(Math.abs(hzToMel(6400, 'slaney') - 42) < 1e-12, 'log step: 27 mels per factor 6.4');
    assert.ok(Math.abs(hzToMel(700, 'htk') - 2595 * Math.log10(2)) < 1e-9);
    for (const f of [0, 300, 999, 1000, 4000, 8000]) for (const s of ['slaney', 'htk'] as const) assert.ok(Math.abs(melToHz(hzToMel(f, s), s) - f) < 1e-9);
  });

  test('the DCT matrix is orthonormal (all 40 columns of a 40-point DCT)', () => {
    const d = dctMatrix(40, 40);
    for (let a = 0; a < 40; a++) {
      for (let b = 0; b < 40; b++) {
        let s = 0;
        for (let i = 0; i < 40; i++) s += d[i * 40 + a] * d[i * 40 + b];
        assert.ok(Math.abs(s - (a === b ? 1 : 0)) < 1e-6, `columns ${a}, ${b}: ${s}`);
      }
    }
  });

  test('defaults: 49 frames of 40 bins per second at 16 kHz (MLPerf Tiny KWS)', () => {
    assert.deepEqual(featureShape(16000, resolveFrontEnd()), [49, 40]);
    assert.deepEqual(featureShape(16000, resolveFrontEnd({ mfcc: 10 })), [49, 10]);
    assert.equal(resolveFrontEnd({ windowLength: 400 }).fftSize, 512);
    assert.throws(() => resolveFrontEnd({ fmax: 9000 }), /Nyquist/);
    assert.throws(() => resolveFrontEnd({ windowLength: 600, fftSize: 512 }), /shorter than windowLength/);
  });

  for (const c of golden.cases) {
    test(`${c.name}: the mel filterbank matches the numpy port of librosa within ${RTOL}`, () => {
      const fe = resolveFrontEnd(c.frontEnd);
      const m = frontEndMatrices(fe, golden.waves.shape[1]);
      const [mels, bins] = c.mel.shape;
      assert.equal(bins, m.bins);
      // Our matrix is [bins, mels]; the reference [mels, bins].
      const ours = Array.from({ length: mels * bins }, (_, i) => m.mel[(i % bins) * mels + Math.floor(i / bins)]);
      const err = worstRel(ours, c.mel.data, 1e-30);
      assert.ok(err <= RTOL, `mel: ${err}`);
    });
  }
});

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`front-end values against the reference [${backend}]`, () => {
    before(async () => {
      await initEngine({ backend, threads: 1 });
    });
    after(async () => {
      await disposeEngine();
    });
    for (const c of golden.cases) {
      test(`${c.name}: log-mel${c.mfcc ? ' and MFCC' : ''} within ${RTOL} relative, element by element`, (ctx) => {
        const fe = resolveFrontEnd(c.frontEnd);
        const samples = golden.waves.shape[1];
        const t = frontEndTensors(fe, samples);
        const before = tf.memory().numTensors;
        try {
          const waves = tf.tensor2d(golden.waves.data, golden.waves.shape as [number, number]);
          const { mfcc: _k, ...logMelOnly } = fe;
          const logMel = frontEndApply(t, logMelOnly, waves);
          assert.deepEqual(logMel.shape, c.logMel.shape);
          const e1 = worstRel(logMel.dataSync(), c.logMel.data);
          assert.ok(e1 <= RTOL, `log-mel: worst relative error ${e1.toExponential(2)}`);
          ctx.diagnostic(`${backend} ${c.name}: log-mel worst relative error ${e1.toExponential(2)}`);
          if (c.mfcc) {
            const mfcc = frontEndApply(t, fe, waves);
            assert.deepEqual(mfcc.shape, c.mfcc.shape);
            const e2 = worstFrameRel(mfcc.dataSync(), c.mfcc.data, c.mfcc.shape[2]);
            assert.ok(e2 <= RTOL, `mfcc: worst frame-relative error ${e2.toExponential(2)}`);
            ctx.diagnostic(`${backend} ${c.name}: MFCC worst frame-relative error ${e2.toExponential(2)}`);
            mfcc.dispose();
          }
          waves.dispose();
          logMel.dispose();
          // frontEndApply keeps nothing of its own.
          assert.equal(tf.memory().numTensors, before);
        } finally {
          t.dispose();
        }
      });
    }
  });
}
