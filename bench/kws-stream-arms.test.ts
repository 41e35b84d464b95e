import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { encodeWav } from '../src/data/audio/index.ts';
import { sine } from '../src/data/audio/fixtures.test-util.ts';
import { initEngine } from '../src/engine/index.ts';
import { streamSettings } from '../src/jobs/stream.ts';
import { buildModel, saveModel } from '../src/models/index.ts';
import { runArms } from './kws-stream-arms.ts';

test('kws-stream arms: TF.js shared, TF.js per window and onnxruntime per window scan the same windows to the same detections', async () => {
  await initEngine({ backend: 'cpu', threads: 1 });
  const rate = 8000;
  const dir = mkdtempSync(join(tmpdir(), 'distillery-kws-arms-'));
  try {
    // an untrained two-class model (0.5-s clips): with threshold 0.5 one class always fires, so detections exist
    const model = buildModel({ blocks: [{ type: 'logmel', melBins: 16, windowLength: 200, hopLength: 80, sampleRate: rate }, { type: 'conv2d', filters: 4, stride: 2 }, { type: 'globalavgpool' }] }, { inputShape: [rate / 2], numClasses: 2, seed: 3, sampleRate: rate });
    await saveModel(model, join(dir, 'model'));
    model.dispose();
    // 6 s of tones whose pitch steps every 0.7 s, so the windows' probabilities differ
    const audio = new Float32Array(6 * rate);
    for (let k = 0; k * 0.7 * rate < audio.length; k++) audio.set(sine(Math.min(0.7 * rate, audio.length - k * 0.7 * rate), 300 + 250 * (k % 5), rate, 0.1 + 0.08 * (k % 3)), k * 0.7 * rate);
    const wav = join(dir, 'long.wav');
    writeFileSync(wav, encodeWav(audio, rate));
    const settings = streamSettings({ threshold: 0.5, smoothing: 1, suppressionSeconds: 0.5 }, 0.5);
    const r = await runArms(join(dir, 'model'), wav, settings, { peer: 'onnx', threads: 1, rounds: 1, batch: 7, classNames: ['a', 'b'] });
    assert.deepEqual(r.arms.map((a) => a.arm), ['tfjs-shared', 'tfjs-window', 'onnx-window']);
    const [shared, window, ort] = r.arms;
    assert.ok(shared!.detections.length >= 3, `${shared!.detections.length} detections`);
    for (const a of r.arms) {
      assert.equal(a.probs.length, 56 * 2, 'windows every 0.1 s: starts 0 … 5.5');
      assert.ok(a.realTimeFactor > 0 && a.cpuRealTimeFactor > 0 && a.wallSeconds.length === 1);
    }
    assert.deepEqual(ort!.detections.map((d) => [d.label, d.start]), window!.detections.map((d) => [d.label, d.start]));
    assert.deepEqual(r.parity?.detectionsEqual, true);
    assert.ok(r.parity!.maxProbDiff < 1e-4, `onnxruntime against TF.js: ${r.parity!.maxProbDiff}`);
    assert.equal(r.ratios.onnxOverTfjsWindow, ort!.realTimeFactor / window!.realTimeFactor);
    assert.equal(r.ratios.sharedOverWindow, shared!.realTimeFactor / window!.realTimeFactor);
    const none = await runArms(join(dir, 'model'), wav, settings, { peer: 'none', threads: 1, rounds: 1, classNames: ['a', 'b'] });
    assert.deepEqual(none.arms.map((a) => a.arm), ['tfjs-shared', 'tfjs-window']);
    assert.equal(none.parity, undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
