import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDistilleryError } from '../../core/errors.ts';
import { initEngine } from '../../engine/index.ts';
import { loadModelFolder, trainedOnMnist } from './index.ts';

test('loadModelFolder: MODEL_NOT_FOUND or MODEL_FORMAT, naming the path, for each kind of non-model', async () => {
  await initEngine({ backend: 'cpu' });
  const dir = mkdtempSync(join(tmpdir(), 'distillery-job-'));
  const empty = join(dir, 'empty');
  mkdirSync(empty);
  const file = join(dir, 'notes.txt');
  writeFileSync(file, 'hello');
  const bad = join(dir, 'bad');
  mkdirSync(bad);
  writeFileSync(join(bad, 'model.json'), 'not json');
  const cases: [string, string, RegExp][] = [
    [join(dir, 'missing'), 'MODEL_NOT_FOUND', /missing: no such model folder/],
    [empty, 'MODEL_NOT_FOUND', /empty: not a model folder \(no model\.json\)/],
    [file, 'MODEL_FORMAT', /notes\.txt: a file, not a model folder/],
    [bad, 'MODEL_FORMAT', /bad\/model\.json: not a TF\.js layers model/],
  ];
  for (const [path, code, message] of cases) {
    await assert.rejects(loadModelFolder(path), (e: unknown) => {
      assert.ok(isDistilleryError(e), String(e));
      assert.equal(e.code, code, path);
      assert.match(e.message, message);
      assert.ok(e.hint);
      return true;
    });
  }
});

test("trainedOnMnist reads the run's config.json beside the model folder", () => {
  const dir = mkdtempSync(join(tmpdir(), 'distillery-job-'));
  mkdirSync(join(dir, 'a', 'model'), { recursive: true });
  mkdirSync(join(dir, 'b', 'model'), { recursive: true });
  mkdirSync(join(dir, 'c', 'model'), { recursive: true });
  writeFileSync(join(dir, 'a', 'config.json'), JSON.stringify({ data: { source: 'mnist' } }));
  writeFileSync(join(dir, 'b', 'config.json'), JSON.stringify({ data: { source: { type: 'csv', train: 'x.csv' } } }));
  assert.equal(trainedOnMnist(join(dir, 'a', 'model')), true);
  assert.equal(trainedOnMnist(join(dir, 'b', 'model')), false);
  assert.equal(trainedOnMnist(join(dir, 'c', 'model')), false);
});
