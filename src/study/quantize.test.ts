import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDistilleryError } from '../core/errors.ts';
import { validateConfig } from '../config/index.ts';
import { modelCost } from '../models/index.ts';
import { openStore } from '../store/index.ts';
import { studyConfigSchema } from './config.ts';
import { search } from './search.ts';
import { prepareStudy } from './setup.ts';

const dir = mkdtempSync(join(tmpdir(), 'distillery-quantize-'));
const mlp = (units: unknown) => ({ blocks: [{ type: 'flatten' }, { type: 'dense', units, activation: 'relu' }, { type: 'dense', units: 10 }] });
const base = {
  name: 'q', seed: 1, backend: 'wasm', threads: 1,
  data: { source: 'mnist', limit: 1000, validation: 200, normalize: 'scale' },
  space: { template: { model: mlp({ choice: [16, 32] }) } },
  train: { epochs: 1, batchSize: 50, optimizer: { type: 'adam', lr: 0.003 } },
  strategy: { name: 'random' },
  objectives: [{ metric: 'accuracy', direction: 'max' }, { metric: 'bytesInt8', direction: 'min' }, { metric: 'latencyMs', direction: 'min' }],
  latency: { runtime: 'onnx', threads: 1, runs: 5, warmup: 1 },
  budget: { trials: 2 },
};

test('quantize: int8: the int8 size is the objective, the trial records fp32 and int8 export sizes and latencies', async () => {
  const file = join(dir, 'q.json');
  writeFileSync(file, JSON.stringify({ ...base, quantize: 'int8' }));
  const storePath = join(dir, 'q.db');
  await search({ config: file, store: storePath });
  const store = await openStore(storePath, { readonly: true });
  try {
    const study = (await store.getStudy())!;
    assert.deepEqual(study.objectives, ['accuracy', 'bytesInt8', 'latencyMs']);
    const trials = (await store.listTrials(study.id)).filter((t) => t.state === 'complete');
    assert.equal(trials.length, 2);
    for (const t of trials) {
      const v = t.values;
      const units = (t.spec as { model: { blocks: { units?: number }[] } }).model.blocks[1]!.units!;
      const cost = modelCost(mlp(units) as never, [28, 28, 1], 10);
      assert.equal(t.objectives![1], cost.bytes.int8, 'the objective is the int8 size');
      assert.equal(v['bytesInt8'], cost.bytes.int8);
      const ratio = v['bytesFp32']! / v['bytesInt8']!;
      assert.ok(ratio > 3.8 && ratio < 4, `int8 ≈ fp32 / 4: ${ratio}`);
      // the files actually exported: int8 QDQ with its scales, still < 30% of fp32
      assert.ok(v['onnxBytesFp32']! > v['bytesFp32']!, 'the fp32 file holds every weight');
      assert.ok(v['onnxBytesInt8']! < 0.3 * v['onnxBytesFp32']!, `int8 file ${v['onnxBytesInt8']} against fp32 ${v['onnxBytesFp32']}`);
      assert.equal(t.objectives![2], v['latencyMs']);
      assert.equal(v['latencyMs'], v['latencyMsInt8'], 'latencyMs times the int8 export');
      assert.ok(v['latencyMsFp32']! > 0 && v['latencyMsInt8']! > 0);
      assert.ok(t.objectives![0]! > 0.5, `validation accuracy ${t.objectives![0]}`);
    }
  } finally {
    await store.close();
  }
});

test('quantize: unknown values and impossible combinations are CONFIG_INVALID naming the key', async () => {
  assert.throws(() => validateConfig(studyConfigSchema, { ...base, quantize: 'int4' }, 'q.yaml'), (e) => isDistilleryError(e) && e.code === 'CONFIG_INVALID' && e.where === 'quantize' && /^q\.yaml: quantize: /.test(e.message));
  const wasm = validateConfig(studyConfigSchema, { ...base, quantize: 'int8', latency: { runtime: 'tfjs-wasm' } });
  await assert.rejects(prepareStudy(wasm), (e) => isDistilleryError(e) && e.code === 'CONFIG_INVALID' && e.where === 'quantize' && /latency\.runtime is tfjs-wasm/.test(e.message));
  const table = validateConfig(studyConfigSchema, { ...base, quantize: 'fp16', table: { file: 'x.csv' } });
  await assert.rejects(prepareStudy(table), (e) => isDistilleryError(e) && e.code === 'CONFIG_INVALID' && e.where === 'quantize');
});
