import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tfl from '@tensorflow/tfjs-layers';
import { DistilleryError } from '../../src/core/errors.ts';
import { buildTestRecording, encodeWav, readMono } from '../../src/data/audio/index.ts';
import { sine, writeWav } from '../../src/data/audio/fixtures.test-util.ts';
import { disposeEngine } from '../../src/engine/index.ts';
import { predict } from '../../src/jobs/predict.ts';
import { audioFeedOf, predictStream, windowPosteriors } from '../../src/jobs/predict-audio.ts';
import { scoreDetections, windowStarts } from '../../src/jobs/stream.ts';
import { train, trainJobSchema } from '../../src/jobs/train.ts';
import { loadModel, saveModel } from '../../src/models/index.ts';
import { parseEvents, runCli, tempDir } from '../helpers/cli.ts';

const RATE = 8000;
const CLIP = 0.5;
const WORDS = { low: 400, high: 1800, mid: 900 } as const;

const dir = tempDir('distillery-predict-audio-');
const model = join(dir, 'run', 'model');
after(() => rmSync(dir, { recursive: true, force: true }));
after(async () => { await disposeEngine(); });

/** A 0.5-s clip: a 0.2-s tone at a speaker-dependent place, pitch and level. */
function clip(hz: number, s: number): Float32Array {
  const c = new Float32Array(CLIP * RATE);
  c.set(sine(0.2 * RATE, hz * (1 + 0.02 * (s % 4)), RATE, 0.2 + 0.03 * (s % 10)), Math.round((0.03 + 0.025 * (s % 10)) * RATE));
  return c;
}

/** Tone "words" (low, high; mid is a non-keyword), 24 speakers, the last three in the test list, and white noise. */
function folder(): string {
  const root = join(dir, 'kws');
  for (const [w, hz] of Object.entries(WORDS)) for (let s = 0; s < 24; s++) writeWav(join(root, w, `spk${s}_nohash_0.wav`), { rate: RATE, channels: [clip(hz, s)] });
  let seed = 7;
  const noise = Float32Array.from({ length: RATE * 3 }, () => ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5) * 0.05);
  writeWav(join(root, '_background_noise_', 'white.wav'), { rate: RATE, channels: [noise] });
  writeFileSync(join(root, 'testing_list.txt'), Object.keys(WORDS).flatMap((w) => [21, 22, 23].map((s) => `${w}/spk${s}_nohash_0.wav`)).join('\n'));
  return root;
}

before(async () => {
  const root = folder();
  const config = trainJobSchema.parse({
    name: 'tones',
    seed: 1,
    data: { source: { type: 'audio', folder: root, sampleRate: RATE, clipSeconds: CLIP, words: ['low', 'high'], silencePercent: 50, unknownPercent: 50, validationPercent: 0 }, augment: { timeShift: 0.05 } },
    model: { blocks: [{ type: 'logmel', melBins: 16, windowLength: 200, hopLength: 80 }, { type: 'conv2d', filters: 8, stride: 2, batchNorm: false }, { type: 'flatten' }] },
    train: { epochs: 25, batchSize: 8, optimizer: { type: 'adam', lr: 0.02 } },
  });
  await train(config, { out: join(dir, 'run') });
});

test('predict on WAV clips: read as training reads them (any rate, stereo), API and CLI --json', async () => {
  const low = writeWav(join(dir, 'low.wav'), { rate: RATE, channels: [clip(WORDS.low, 22)] });
  // The same tone at 16 kHz in stereo, 24-bit: mixed down and resampled to the model's 8 kHz.
  const t = clip(WORDS.high, 22);
  const up = Float32Array.from({ length: t.length * 2 }, (_, i) => t[i >> 1]!);
  const high = writeWav(join(dir, 'high-16k-stereo.wav'), { rate: 16000, channels: [up, up], encoding: 'pcm24' });
  // the front-end names no rate: it takes the data's 8 kHz, which the saved model carries
  const meta = JSON.parse(readFileSync(join(model, 'model.json'), 'utf8')) as { userDefinedMetadata: { distillery: { audio: { sampleRate: number } } } };
  assert.equal(meta.userDefinedMetadata.distillery.audio.sampleRate, RATE);
  const out = await predict(model, [low, high]);
  assert.deepEqual(out.map((p) => p.label), ['low', 'high']);
  for (const p of out) assert.ok(Math.abs(Object.values(p.probabilities).reduce((a, b) => a + b, 0) - 1) < 1e-5);
  assert.deepEqual(Object.keys(out[0]!.probabilities), ['_silence_', '_unknown_', 'low', 'high']);

  const r = runCli(['predict', model, low, high, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { input: string; label: string; probabilities: Record<string, number> });
  assert.deepEqual(lines.map((l) => [l.input, l.label]), [[low, 'low'], [high, 'high']]);
  assert.ok(Math.abs(lines[1]!.probabilities['high']! - out[1]!.probabilities['high']!) < 1e-5, 'CLI and API agree');

  // A text file given to an audio model is refused as a WAV, naming the file.
  const txt = join(dir, 'notes.txt');
  writeFileSync(txt, 'hello');
  await assert.rejects(predict(model, [txt]), (e: unknown) => e instanceof DistilleryError && e.code === 'DATA_NOT_WAV' && e.message.includes(txt));
});

test('predict --stream: finds the inserted keywords of a recording built from test clips; shared features equal per-window features', async () => {
  const rec = buildTestRecording({ folder: join(dir, 'kws'), words: ['low', 'high'], sampleRate: RATE, clipSeconds: CLIP, seconds: 12, seed: 3, gapSeconds: [0.6, 1.2], unknownShare: 0.3 });
  const keywords = rec.words.filter((w) => !w.label.startsWith('_'));
  assert.ok(keywords.length >= 4 && rec.words.length > keywords.length, `${keywords.length} keywords of ${rec.words.length} words`);
  const wav = join(dir, 'long.wav');
  writeFileSync(wav, encodeWav(rec.samples, RATE));

  const r = runCli(['predict', model, wav, '--stream', '--json', '--threads', '1']);
  assert.equal(r.code, 0, r.stderr);
  const events = parseEvents(r.stdout);
  const dets = events.filter((e) => e['event'] === 'detection') as unknown as { label: string; start: number; end: number; score: number; file: string }[];
  const done = events.at(-1)!;
  assert.equal(done['event'], 'done');
  // 12 s, 0.5-s windows every 0.1 s: starts 0, 0.1, …, 11.5.
  assert.equal(done['windows'], 116);
  assert.equal(done['audioSeconds'], 12);
  assert.ok((done['realTimeFactor'] as number) > 0);
  assert.equal(done['strideSeconds'], 0.1);
  for (const d of dets) {
    assert.ok(d.label === 'low' || d.label === 'high', d.label);
    assert.ok(Math.abs(d.end - d.start - CLIP) < 1e-6 && d.score >= 0.7 && d.file === wav);
  }
  // Measured: every keyword found, nothing else (1/1 on this easy set; a broken window, smoothing
  // or suppression drops or doubles detections).
  const score = scoreDetections(dets.map((d) => ({ ...d })), keywords);
  assert.ok(score.recall >= 0.99 && score.precision >= 0.99, JSON.stringify(score));

  // The API gives the same detections; the same windows through the shared front-end and
  // through whole windows give the same probabilities (batch 7: a partial last batch).
  const api = await predictStream(model, wav, { threads: 1 });
  assert.equal(api.sharedFeatures, true);
  assert.deepEqual(api.detections.map((d) => [d.label, d.start]), dets.map((d) => [d.label, d.start]));
  const m = await loadModel(model);
  try {
    const feed = audioFeedOf(m)!;
    const audio = readMono(wav, feed);
    const starts = windowStarts(audio.length, feed.samples, 800);
    const { probs: shared, shared: on } = await windowPosteriors(m, feed, audio, starts, 800, 7, true);
    assert.equal(on, true);
    const { probs: whole } = await windowPosteriors(m, feed, audio, starts, 800, 7, false);
    // the same model again (a second recording, say) keeps the shared path
    assert.deepEqual(await windowPosteriors(m, feed, audio, starts, 800, 7, true), { probs: shared, shared: true });
    let worst = 0;
    for (let i = 0; i < whole.length; i++) worst = Math.max(worst, Math.abs(shared[i]! - whole[i]!));
    assert.ok(worst < 1e-4, `max |shared - whole| = ${worst}`);
    // A stride that is not a multiple of the hop (80) falls back to whole windows.
    assert.equal((await predictStream(model, wav, { threads: 1, strideSeconds: 0.105 })).sharedFeatures, false);
  } finally {
    m.dispose();
  }

  // Bad input: a stride of 0 (CLI, one line with its code); a model that does not take audio.
  const bad = runCli(['predict', model, wav, '--stream', '--stride', '0']);
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr.trim(), /^error STREAM_OPTION: --stride 0: must be a positive number of seconds \(hint: .+\)$/);
  const img = join(dir, 'img');
  const dense = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [4], units: 2 })] });
  await saveModel(dense, img);
  await assert.rejects(predictStream(img, wav), (e: unknown) => e instanceof DistilleryError && e.code === 'PREDICT_STREAM_MODEL');
});
