import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sine, writeWav } from './fixtures.test-util.ts';
import { buildTestRecording, composeRecording, speechExtent } from './longform.ts';
import { decodeWav, encodeWav } from './wav.ts';

const RATE = 8000;

/** A 1-s clip at RATE: a tone from `from` to `to` seconds, silence around it. */
function toneClip(from: number, to: number, hz = 440, amp = 0.5): Float32Array {
  const c = new Float32Array(RATE);
  c.set(sine(Math.round((to - from) * RATE), hz, RATE, amp), Math.round(from * RATE));
  return c;
}

const rms = (x: Float32Array, a: number, b: number) => Math.sqrt(x.subarray(a, b).reduce((s, v) => s + v * v, 0) / (b - a));

test('speechExtent: the frames within 20 dB of the loudest, to 10 ms; null for silence', () => {
  assert.deepEqual(speechExtent(toneClip(0.3, 0.62), RATE), [0.3 * RATE, 0.62 * RATE]);
  // A tail 26 dB down is left out, one 14 dB down is kept.
  const c = toneClip(0.2, 0.5);
  c.set(sine(0.2 * RATE, 440, RATE, 0.025), 0.5 * RATE);
  assert.deepEqual(speechExtent(c, RATE), [0.2 * RATE, 0.5 * RATE]);
  c.set(sine(0.2 * RATE, 440, RATE, 0.1), 0.5 * RATE);
  assert.deepEqual(speechExtent(c, RATE), [0.2 * RATE, 0.7 * RATE]);
  assert.equal(speechExtent(new Float32Array(RATE), RATE), null);
});

test('composeRecording: clips in order with gaps, spans where the tones are, noise at its RMS, seeded', () => {
  const clips = Array.from({ length: 20 }, (_, i) => ({ label: i % 2 ? 'b' : 'a', samples: toneClip(0.4, 0.6, 300 + 50 * i) }));
  const hiss = sine(RATE * 3, 1234, RATE, 0.3);
  const opts = { sampleRate: RATE, seconds: 10, gapSeconds: [0.5, 1] as [number, number], noiseRms: 0.02, seed: 3 };
  const r = composeRecording(clips, [hiss], opts);
  assert.equal(r.samples.length, 10 * RATE);
  // 10 s holds 6 or 7 clips of 1 s with gaps of 0.5-1 s, in the order given.
  assert.ok(r.words.length >= 5 && r.words.length <= 7, `${r.words.length} words`);
  assert.deepEqual(r.words.map((w) => w.label), r.words.map((_, i) => (i % 2 ? 'b' : 'a')));
  let prevEnd = 0;
  for (const w of r.words) {
    assert.ok(Math.abs(w.end - w.start - 0.2) < 1e-9, `${w.start}-${w.end}`);
    // The clip began 0.4 s before its tone, at least 0.5 s after the previous clip's end (0.4 s after its tone).
    assert.ok(w.start - 0.4 >= prevEnd + 0.5 - 1e-9 && w.start - 0.4 <= prevEnd + 1 + 1e-9, `${w.start} after ${prevEnd}`);
    prevEnd = w.end + 0.4;
    // The tone is there: much louder than the noise floor.
    const a = Math.round(w.start * RATE);
    assert.ok(rms(r.samples, a, a + 800) > 0.3, 'tone present');
  }
  // Before the first clip there is only noise, at the RMS asked for.
  const first = Math.round((r.words[0]!.start - 0.4) * RATE);
  assert.ok(Math.abs(rms(r.samples, 0, Math.min(first, RATE / 2)) - 0.02) < 0.002, `noise rms ${rms(r.samples, 0, first)}`);
  assert.deepEqual(composeRecording(clips, [hiss], opts), r);
  assert.notDeepEqual(composeRecording(clips, [hiss], { ...opts, seed: 4 }).words, r.words);
  // Without noise the background is digital silence.
  assert.equal(composeRecording(clips, [], opts).samples[0], 0);
});

test('buildTestRecording: test-split clips only, keywords and non-keywords, the folder noise under them', () => {
  const dir = mkdtempSync(join(tmpdir(), 'distillery-longform-'));
  try {
    // Test-split clips hold a tone at 0.3-0.5 s; training clips are loud noise that must never appear.
    for (const [w, hz] of [['yes', 500], ['no', 900], ['cat', 1500]] as const) {
      for (let s = 0; s < 4; s++) writeWav(join(dir, w, `spk${s}_nohash_0.wav`), { rate: RATE, channels: [s < 2 ? toneClip(0.3, 0.5, hz) : sine(RATE, 3000, RATE, 0.9)] });
    }
    writeWav(join(dir, '_background_noise_', 'hum.wav'), { rate: RATE, channels: [sine(RATE * 2, 50, RATE, 0.2)] });
    writeFileSync(join(dir, 'testing_list.txt'), ['yes', 'no', 'cat'].flatMap((w) => [`${w}/spk0_nohash_0.wav`, `${w}/spk1_nohash_0.wav`]).join('\n'));
    const r = buildTestRecording({ folder: dir, words: ['yes', 'no'], sampleRate: RATE, seconds: 30, seed: 2, unknownShare: 0.5 });
    // 6 test clips in all, each used once.
    assert.equal(r.words.length, 6);
    assert.deepEqual(r.words.map((w) => w.label).sort(), ['_unknown_', '_unknown_', 'no', 'no', 'yes', 'yes']);
    for (const w of r.words) assert.ok(Math.abs(w.end - w.start - 0.2) < 1e-9, 'only the tone clips, not the loud training noise');
    assert.equal(buildTestRecording({ folder: dir, words: ['yes', 'no'], sampleRate: RATE, seconds: 30, seed: 2, unknownShare: 0.5 }).samples.length, 30 * RATE);
    // The 16-bit file round-trips within one level.
    const back = decodeWav(encodeWav(r.samples, RATE), 'long.wav');
    assert.equal(back.sampleRate, RATE);
    let worst = 0;
    for (let i = 0; i < r.samples.length; i++) worst = Math.max(worst, Math.abs(back.channels[0]![i]! - r.samples[i]!));
    assert.ok(worst <= 1 / 32768 + 1e-7, `worst ${worst}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
