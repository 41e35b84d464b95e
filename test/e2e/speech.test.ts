import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sine, writeWav } from '../../src/data/audio/fixtures.test-util.ts';
import { decodeOnnx } from '../../src/onnx/index.ts';
import { onnxChecker } from '../../src/onnx/testing.ts';
import { parseEvents, runCli, tempDir, writeConfig } from '../helpers/cli.ts';

const RATE = 16000;

/** Two tones as two "words" (six speakers each, 0.25 s at 16 kHz), unknowns, and a noise file. */
function folder(dir: string): string {
  const root = join(dir, 'kws');
  for (const [w, hz] of [['low', 300], ['high', 2500], ['other', 900]] as const) {
    for (let s = 0; s < 6; s++) writeWav(join(root, w, `spk${s}_nohash_0.wav`), { rate: RATE, channels: [sine(3000 + 100 * s, hz * (1 + 0.03 * s), RATE, 0.2 + 0.1 * s)] });
  }
  writeWav(join(root, '_background_noise_', 'hum.wav'), { rate: RATE, channels: [sine(RATE * 2, 50, RATE, 0.05)] });
  return root;
}

test('a speech model end to end: train on raw audio with the log-mel front-end inside, export int8 ONNX that takes raw audio', (t) => {
  const dir = tempDir();
  const root = folder(dir);
  const run = join(dir, 'run');
  const config = {
    name: 'tiny-speech',
    seed: 1,
    data: { source: { type: 'audio', folder: root, sampleRate: RATE, clipSeconds: 0.25, words: ['low', 'high'], silencePercent: 50, unknownPercent: 50, testPercent: 30, validationPercent: 0 } },
    model: { blocks: [{ type: 'logmel', melBins: 16, windowLength: 400, hopLength: 320 }, { type: 'conv2d', filters: 8, stride: 2, batchNorm: true }, { type: 'sepconv', filters: 8 }, { type: 'globalavgpool' }] },
    train: { epochs: 8, batchSize: 4, optimizer: { type: 'adam', lr: 0.01 } },
  };
  const tr = runCli(['train', '--config', writeConfig(dir, 'speech.json', config), '--out', run, '--json']);
  assert.equal(tr.code, 0, tr.stderr);
  // the saved model names its audio contract: rate, clip samples, front-end
  const meta = JSON.parse(readFileSync(join(run, 'model', 'model.json'), 'utf8')) as { userDefinedMetadata: { distillery: { audio: Record<string, unknown> } } };
  const audio = meta.userDefinedMetadata.distillery.audio;
  assert.equal(audio['sampleRate'], RATE);
  assert.equal(audio['samples'], 4000);
  assert.equal((audio['frontEnd'] as Record<string, unknown>)['melBins'], 16);

  const out = join(dir, 'int8');
  const r = runCli(['export', join(run, 'model'), '--format', 'onnx', '--quantize', 'int8', '--out', out, '--json', '--batch', '1']);
  assert.equal(r.code, 0, r.stderr);
  const done = parseEvents(r.stdout).at(-1)!;
  assert.equal(done['event'], 'done');
  assert.equal(done['data'], 'run', 'test clips and calibration from the run folder');
  // the fp32 export against TF.js on every test clip, from raw audio
  const parity = done['parity'] as Record<string, number>;
  assert.ok(parity['samples']! >= 4, `${parity['samples']} test clips`);
  assert.ok(parity['maxAbsDiff']! <= 1e-4, `max |onnx - tfjs| = ${parity['maxAbsDiff']}`);
  assert.equal(parity['classDiffers'], 0);
  const bytes = readFileSync(join(out, 'model.int8.onnx'));
  const m = decodeOnnx(bytes);
  // the first input is raw audio [batch, samples], float32
  const input = m.graph!.input![0]!.type!.tensorType!;
  assert.equal(input.elemType, 1);
  assert.deepEqual(input.shape!.dim!.map((d) => (d.dimParam ? d.dimParam : Number(d.dimValue))).slice(1), [4000]);
  const ops = m.graph!.node!.map((n) => n.opType);
  // the network is quantised, the front-end's MatMuls and Log stay float
  assert.ok(ops.includes('QuantizeLinear') && ops.includes('DequantizeLinear'));
  assert.ok(ops.includes('Log') && ops.includes('MatMul'));
  const logIn = m.graph!.node!.find((n) => n.opType === 'Log')!.input![0]!;
  assert.ok(!m.graph!.node!.some((n) => n.opType === 'QuantizeLinear' && n.input![0] === logIn), 'the log input is not quantised');
  assert.ok(bytes.length < 16_000, `${bytes.length} bytes`);
  const [fp32, int8] = done['variants'] as Record<string, number>[];
  assert.equal(int8!['precision'], 'int8');
  assert.equal(typeof int8!['accuracyDropPoints'], 'number', 'the accuracy drop is reported');
  assert.ok(fp32!['accuracy']! >= 0 && fp32!['accuracy']! <= 1, `fp32 accuracy ${fp32!['accuracy']}`);
  const check = onnxChecker(new Uint8Array(bytes), 'model.int8.onnx');
  if ('skip' in check) t.diagnostic(check.skip);
  else assert.ok(check.ok, 'error' in check ? check.error : '');
});
