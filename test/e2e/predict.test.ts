import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { loadData } from '../../src/data/index.ts';
import { saveModelInputs } from '../../src/data/text/artifacts.ts';
import { disposeEngine, initEngine } from '../../src/engine/index.ts';
import { predict } from '../../src/jobs/predict.ts';
import { saveModel } from '../../src/models/index.ts';
import { fit } from '../../src/train/index.ts';
import { runCli, tempDir } from '../helpers/cli.ts';

const dir = tempDir('distillery-predict-');
after(() => rmSync(dir, { recursive: true, force: true }));
// cpu: the stock wasm backend has no UnsortedSegmentSum, the embedding's gradient (the text blocks bring their own).
before(async () => { await initEngine({ backend: 'cpu' }); });
after(async () => { await disposeEngine(); });

const SPAM = ['win a free prize now', 'free cash prize claim now', 'cheap pills win big', 'claim your free cruise', 'win cash now free'];
const HAM = ['meeting moved to monday', 'lunch with the team today', 'notes from the monday meeting', 'see you at lunch', 'agenda for the team meeting'];

test('a text model trained on token ids (tfjs-layers embedding, test-only) predicts raw texts through its saved tokenizer, API and CLI', async () => {
  const rows = [...SPAM.map((t) => ({ text: t, label: 'spam' })), ...HAM.map((t) => ({ text: t, label: 'ham' }))];
  const file = join(dir, 'mail.jsonl');
  writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const data = await loadData({ source: { type: 'text', train: file }, text: { maxLength: 8, tokenizer: { kind: 'word', minFrequency: 1 } } }, { baseDir: dir, seed: 1 });
  const vocab = Object.keys((data.train.text!.tokenizer.model as { vocab: object }).vocab).length;
  const model = tfl.sequential({
    layers: [tfl.layers.embedding({ inputDim: vocab, outputDim: 8, inputLength: 8, inputShape: [8], maskZero: false }), tfl.layers.globalAveragePooling1d(), tfl.layers.dense({ units: 2 })],
  });
  await fit(model, data.train, { epochs: 60, batchSize: 10, optimizer: { type: 'adam', lr: 0.05 } as never, seed: 1 });
  const modelDir = join(dir, 'model');
  await saveModel(model, modelDir, { distillery: { inputShape: [8], classNames: data.train.classNames, normalization: data.normalization } });
  saveModelInputs(modelDir, data.train);

  // Raw-text predictions equal training-time predictions on the training ids.
  const trainPred = (await (tf.argMax(model.predict(tf.tensor(data.train.x, [10, 8])) as tf.Tensor, 1).data())) as Int32Array;
  const out = await predict(modelDir, data.train.text!.texts);
  assert.deepEqual(out.map((p) => p.index), Array.from(trainPred));
  assert.deepEqual(out.map((p) => p.label), data.train.y.length === 10 ? Array.from(data.train.y, (y) => data.train.classNames[y]) : []);
  for (const p of out) assert.ok(Math.abs(p.probabilities['ham']! + p.probabilities['spam']! - 1) < 1e-5);

  const [unseen] = await predict(modelDir, ['FREE prize, win now!!']);
  assert.equal(unseen!.label, 'spam');

  const r = runCli(['predict', modelDir, 'claim a free prize now', 'team lunch on monday', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { input: string; label: string; probabilities: Record<string, number> });
  assert.deepEqual(lines.map((l) => [l.input, l.label]), [['claim a free prize now', 'spam'], ['team lunch on monday', 'ham']]);
  assert.ok(lines[0]!.probabilities['spam']! > 0.5);

  const texts = join(dir, 'texts.txt');
  writeFileSync(texts, 'win cash now\nmeeting today\n');
  const f = runCli(['predict', modelDir, '--file', texts, '--json']);
  assert.equal(f.code, 0, f.stderr);
  assert.deepEqual(f.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { label: string }).label), ['spam', 'ham']);
  model.dispose();
});

test('an image model predicts PGM images and CSV rows, normalised as in training; bad input is one line with a code', async () => {
  // A hand-set 4x4 model: class 0 sums the top half, class 1 the bottom half, after scaling by 1/255.
  const model = tfl.sequential({ layers: [tfl.layers.flatten({ inputShape: [4, 4, 1] }), tfl.layers.dense({ units: 2, useBias: false })] });
  const w = new Float32Array(32);
  for (let i = 0; i < 16; i++) w[i * 2 + (i < 8 ? 0 : 1)] = 1;
  model.layers[1]!.setWeights([tf.tensor(w, [16, 2])]);
  const modelDir = join(dir, 'img');
  await saveModel(model, modelDir, { distillery: { inputShape: [4, 4, 1], classNames: ['top', 'bottom'], normalization: { kind: 'scale', mean: [0], std: [255] } } });
  writeFileSync(join(modelDir, 'labels.json'), JSON.stringify(['top', 'bottom']));
  const pixels = Buffer.from([...Array(8).fill(0), ...Array(8).fill(255)]);
  const pgm = join(dir, 'bottom.pgm');
  writeFileSync(pgm, Buffer.concat([Buffer.from('P5\n# a comment\n4 4\n255\n'), pixels]));
  const csv = join(dir, 'rows.csv');
  writeFileSync(csv, `${Array.from({ length: 16 }, (_, i) => `p${i}`).join(',')}\n${[...Array(8).fill(51), ...Array(8).fill(0)].join(',')}\n`);
  const out = await predict(modelDir, [pgm, csv]);
  assert.deepEqual(out.map((p) => [p.input, p.label]), [[pgm, 'bottom'], [csv, 'top']]);
  // logits (0, 8) and (1.6, 0) after scaling: softmax exactly.
  assert.ok(Math.abs(out[0]!.probabilities['bottom']! - 1 / (1 + Math.exp(-8))) < 1e-6);
  assert.ok(Math.abs(out[1]!.probabilities['top']! - 1 / (1 + Math.exp(-1.6))) < 1e-6);

  const bad = runCli(['predict', modelDir, join(dir, 'texts.txt')]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr.trim(), /^error PREDICT_INPUT_FORMAT: .*texts\.txt: cannot read \.txt as input \(hint: /);
  assert.equal(bad.stderr.trim().split('\n').length, 1);
  model.dispose();
});
