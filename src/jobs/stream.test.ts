import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DistilleryError } from '../core/errors.ts';
import { decide, scoreDetections, smoothPosteriors, streamSettings, windowStarts } from './stream.ts';

const CLASSES = ['_silence_', '_unknown_', 'yes', 'no'];

/** Rows of probabilities from [silence, unknown, yes, no] tuples. */
const rows = (r: number[][]) => Float32Array.from(r.flat());

test('windowStarts: whole windows every stride; one padded window for a short recording', () => {
  assert.deepEqual(windowStarts(10, 4, 3), [0, 3, 6]);
  assert.deepEqual(windowStarts(9, 4, 3), [0, 3]);
  assert.deepEqual(windowStarts(3, 4, 3), [0]);
  assert.deepEqual(windowStarts(4, 4, 3), [0]);
  assert.equal(windowStarts(16000 * 60, 16000, 1600).length, 591);
});

test('smoothPosteriors: causal mean of the last w rows, fewer at the start', () => {
  const p = rows([[1, 0], [0, 1], [0, 1], [1, 0]]);
  assert.deepEqual(Array.from(smoothPosteriors(p, 4, 2, 2)), [1, 0, 0.5, 0.5, 0, 1, 0.5, 0.5]);
  const m = Array.from(smoothPosteriors(p, 4, 2, 3));
  const want = [1, 0, 0.5, 0.5, 1 / 3, 2 / 3, 1 / 3, 2 / 3];
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(m[i]! - want[i]!) < 1e-6, `${i}: ${m[i]} vs ${want[i]}`);
  // w = 1 is the identity.
  assert.deepEqual(Array.from(smoothPosteriors(p, 4, 2, 1)), Array.from(p));
});

test('decide: fires on the best keyword over the threshold, never on _silence_/_unknown_, then suppresses', () => {
  const s = { strideSeconds: 0.5, smoothing: 1, threshold: 0.6, suppressionSeconds: 1.2 };
  const probs = rows([
    [0.9, 0.05, 0.05, 0], // silence: never fires, however sure
    [0.0, 0.9, 0.1, 0], // unknown: never fires, and yes is under the threshold
    [0.1, 0.1, 0.8, 0], // yes fires at 1.0 s
    [0.1, 0.1, 0.8, 0], // suppressed (0.5 s later)
    [0.1, 0.1, 0, 0.8], // no: suppressed too (any label, within 1.2 s of 1.0)
    [0.1, 0.1, 0, 0.7], // no fires at 2.5 s
  ]);
  const starts = [0, 0.5, 1, 1.5, 2, 2.5];
  const d = decide(probs, 6, CLASSES, starts, 1, s);
  assert.deepEqual(d.map((x) => [x.label, x.start, x.end]), [['yes', 1, 2], ['no', 2.5, 3.5]]);
  assert.ok(Math.abs(d[0]!.score - 0.8) < 1e-6 && Math.abs(d[1]!.score - 0.7) < 1e-6);
  // A suppression of exactly 1 s lets the window 1 s after a detection fire (0.1-s strides, float sums).
  const t = Array.from({ length: 11 }, (_, i) => i * 0.1);
  const sure = rows(Array.from({ length: 11 }, () => [0, 0, 1, 0]));
  assert.deepEqual(decide(sure, 11, CLASSES, t, 1, { ...s, suppressionSeconds: 1 }).map((x) => x.start), [0, t[10]]);
  // No suppression: every window over the threshold fires.
  assert.equal(decide(probs, 6, CLASSES, starts, 1, { ...s, suppressionSeconds: 0 }).length, 4);
  // `ignore` replaces the default: now silence may fire.
  assert.equal(decide(probs, 6, CLASSES, starts, 1, s, [])[0]!.label, '_silence_');
});

test('streamSettings: defaults from the clip length, bad values name their option', () => {
  assert.deepEqual(streamSettings({}, 1.5), { strideSeconds: 0.1, smoothing: 3, threshold: 0.7, suppressionSeconds: 1.5 });
  for (const [o, key] of [[{ strideSeconds: 0 }, '--stride'], [{ smoothing: 1.5 }, '--smoothing'], [{ threshold: 2 }, '--threshold'], [{ suppressionSeconds: -1 }, '--suppression']] as const) {
    assert.throws(() => streamSettings(o, 1), (e: unknown) => e instanceof DistilleryError && e.code === 'STREAM_OPTION' && e.message.startsWith(key) && (e.hint ?? '').length > 0);
  }
});

test('scoreDetections: one to one, same label and overlapping; doubles, wrong labels and noise are false positives', () => {
  const kw = [{ label: 'yes', start: 1.2, end: 1.7 }, { label: 'no', start: 4.3, end: 4.8 }, { label: 'yes', start: 8.1, end: 8.6 }];
  const det = [
    { label: 'yes', start: 0.9, end: 1.9, score: 0.9 }, // hit
    { label: 'yes', start: 1.6, end: 2.6, score: 0.8 }, // the same word again: false positive
    { label: 'yes', start: 4.0, end: 5.0, score: 0.8 }, // wrong label over "no": false positive, "no" missed
    { label: 'yes', start: 6.0, end: 7.0, score: 0.8 }, // in noise: false positive
    { label: 'yes', start: 8.6, end: 9.6, score: 0.8 }, // touches at 8.6 only: no overlap, false positive
  ];
  assert.deepEqual(scoreDetections(det, kw), { truePositives: 1, falsePositives: 4, misses: 2, precision: 0.2, recall: 1 / 3 });
  // A detection overlapping two words of its label takes the one it overlaps most.
  const two = [{ label: 'yes', start: 0, end: 1 }, { label: 'yes', start: 0.8, end: 1.8 }];
  assert.equal(scoreDetections([{ label: 'yes', start: 0.7, end: 1.7, score: 1 }, { label: 'yes', start: 0, end: 0.5, score: 1 }], two).truePositives, 2);
  assert.deepEqual(scoreDetections([], []), { truePositives: 0, falsePositives: 0, misses: 0, precision: 1, recall: 1 });
});
