import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { runCli, startCli, tempDir, tinyMnistConfig, writeConfig } from '../helpers/cli.ts';
import { loadModel } from '../../src/models/index.ts';
import { loadData } from '../../src/data/index.ts';
import { evaluate } from '../../src/train/index.ts';
import { initEngine } from '../../src/engine/index.ts';

test('train --json on an MNIST subset: events, output folder, and a saved model that scores the same', async () => {
  const dir = tempDir();
  const cfg = writeConfig(dir, 'tiny.json', tinyMnistConfig());
  const out = join(dir, 'run');
  const r = runCli(['train', '--config', cfg, '--out', out, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const done = r.events.at(-1)!;
  assert.equal(done['event'], 'done');
  // 784*64+64 + 64*10+10
  assert.equal(done['params'], 50890);
  assert.equal(done['macs'], 784 * 64 + 64 * 10);
  assert.equal(done['testSamples'], 1000);
  const acc = done['testAccuracy'] as number;
  assert.ok(acc > 0.8 && acc < 1, `accuracy ${acc}`);
  assert.equal(done['testErrors'], Math.round((1 - acc) * 1000));
  assert.equal(r.events.filter((e) => e['event'] === 'epoch').length, 2);
  for (const f of ['model/model.json', 'model/weights.bin', 'config.json', 'metrics.jsonl']) assert.ok(existsSync(join(out, f)), f);
  const lines = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n');
  assert.equal(lines.length, 3);

  // the saved model, loaded with stock tf.loadLayersModel, gives the same accuracy
  await initEngine({ backend: 'wasm' });
  const model = await loadModel(join(out, 'model'));
  const data = await loadData({ source: 'mnist', limit: 3000, testLimit: 1000, validation: 500, normalize: 'scale' } as never, { baseDir: dir, seed: 3 });
  const scores = evaluate(model, data.test!, { batchSize: 256 });
  assert.equal(scores.errors, done['testErrors']);
  model.dispose();
  assert.ok(tf.memory().numTensors < 10);
});

test('bad input: one line with a code, exit 2, and no output folder', () => {
  const dir = tempDir();
  const cases: [unknown, string][] = [
    [{ ...tinyMnistConfig(), train: { epochs: 2, optimizer: { type: 'adam', lrr: 0.1 } } }, 'CONFIG_INVALID'],
    [{ ...tinyMnistConfig(), train: { epochs: 'two' } }, 'CONFIG_INVALID'],
    [{ ...tinyMnistConfig(), data: { source: { type: 'idx', train: { images: 'missing.idx', labels: 'missing.idx' } } } }, 'DATA_NOT_FOUND'],
  ];
  writeFileSync(join(dir, 'garbage.idx'), Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 9]));
  cases.push([{ ...tinyMnistConfig(), data: { source: { type: 'idx', train: { images: 'garbage.idx', labels: 'garbage.idx' } } } }, 'DATA_IDX_MAGIC']);
  for (const [i, [config, code]] of cases.entries()) {
    const cfg = writeConfig(dir, `bad${i}.json`, config);
    const out = join(dir, `out${i}`);
    const r = runCli(['train', '--config', cfg, '--out', out]);
    assert.equal(r.code, 2, `case ${i}: ${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `case ${i}: ${r.stderr}`);
    assert.match(lines[0], new RegExp(`^error ${code}: `), `case ${i}`);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.equal(existsSync(out), false, `case ${i} left ${out}`);
  }
  const missing = runCli(['train', '--config', join(dir, 'nope.yaml')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^error CONFIG_NOT_FOUND: /);
  const debug = runCli(['train', '--config', join(dir, 'nope.yaml'), '--debug']);
  assert.match(debug.stderr, /\n\s+at /, '--debug shows the stack');
});

test('kill -9 mid-run, then --resume: the run ends with the configured number of epochs', async () => {
  const dir = tempDir();
  const cfg = writeConfig(dir, 'tiny.json', tinyMnistConfig({ train: { epochs: 4, batchSize: 64, optimizer: { type: 'adam', lr: 0.003 } } }));
  const out = join(dir, 'run');
  const child = startCli(['train', '--config', cfg, '--out', out, '--json']);
  let seen = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      // kill once the second epoch has started: epoch 1 is checkpointed, epoch 2 is half done
      if (seen.split('\n').some((l) => l.includes('"epoch_start"') && l.includes('"epoch":2'))) {
        child.kill('SIGKILL');
      }
    });
    child.on('exit', () => resolve());
    child.on('error', reject);
  });
  assert.ok(!seen.includes('"event":"done"'), 'the run was killed before it finished');
  assert.ok(readdirSync(join(out, 'checkpoint')).length > 0);
  const r = runCli(['train', '--config', cfg, '--out', out, '--json', '--resume']);
  assert.equal(r.code, 0, r.stderr);
  const epochs = r.events.filter((e) => e['event'] === 'epoch').map((e) => e['epoch']);
  assert.deepEqual(epochs, [2, 3, 4]);
  assert.equal(r.events.at(-1)!['epochs'], 4);
  const lines = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { event: string; epoch?: number });
  assert.deepEqual(lines.filter((l) => l.event === 'epoch').map((l) => l.epoch), [1, 2, 3, 4]);
});

test('train without --json: progress lines on stderr, the result table on stdout', () => {
  const dir = tempDir();
  const cfg = writeConfig(dir, 'tiny.json', tinyMnistConfig({ train: { epochs: 1, batchSize: 64, optimizer: { type: 'adam', lr: 0.003 } } }));
  const r = runCli(['train', '--config', cfg, '--out', join(dir, 'run'), '--set', 'train.batchSize=100']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /epoch 1\/1 {2}loss \d\.\d{4} {2}acc 0\.\d{4} {2}val_loss/);
  const [header, row] = r.stdout.split('\n');
  assert.match(header, /^model\s+accuracy\s+errors\s+params\s+MACs/);
  assert.match(row, /^tiny\s+\d+\.\d\d%\s+\d+\/1000\s+50,890\s+50,816/);
  assert.match(r.stdout, /model saved to .*run\/model/);
  const config = JSON.parse(readFileSync(join(dir, 'run', 'config.json'), 'utf8')) as { train: { batchSize: number } };
  assert.equal(config.train.batchSize, 100, '--set reached the resolved config');
});
