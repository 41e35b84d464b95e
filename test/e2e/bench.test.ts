import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempDir } from '../helpers/cli.ts';
import { initEngine } from '../../src/engine/index.ts';
import { buildModel, modelCost, saveModel } from '../../src/models/index.ts';


const spec = { blocks: [{ type: 'conv2d', filters: 4, stride: 2 }, { type: 'sepconv', filters: 8 }, { type: 'globalavgpool' }] };

test('bench --json: a done event with p50/p95/p99 and throughput per batch size, and the model costs', async () => {
  await initEngine({ backend: 'wasm', threads: 1 });
  const dir = tempDir();
  const model = buildModel(spec as never, { inputShape: [16, 16, 1], numClasses: 10, seed: 1 });
  await saveModel(model, join(dir, 'model'));
  model.dispose();
  const cost = modelCost(spec as never, [16, 16, 1], 10);
  for (const runtime of ['tfjs-wasm', 'onnx']) {
    const r = runCli(['bench', join(dir, 'model'), '--runtime', runtime, '--batch', '1,4', '--threads', '1', '--warmup', '1', '--iterations', '5', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const done = r.events.at(-1)!;
    assert.equal(done['event'], 'done');
    assert.equal(done['runtime'], runtime);
    const batches = done['batches'] as { batch: number; p50Ms: number; p95Ms: number; p99Ms: number; meanMs: number; throughput: number }[];
    assert.deepEqual(batches.map((b) => b.batch), [1, 4]);
    for (const b of batches) {
      assert.ok(b.p50Ms <= b.p95Ms && b.p95Ms <= b.p99Ms);
      assert.ok(Math.abs(b.throughput - (b.batch * 1000) / b.meanMs) < 1e-6 * b.throughput);
    }
    for (const k of ['p50Ms', 'p95Ms', 'p99Ms', 'throughput'] as const) assert.equal(done[k], batches[0]![k]);
    assert.equal(done['params'], cost.params);
    assert.equal(done['macs'], cost.macs);
  }
});

test('bench with an unknown runtime: one line, code BENCH_RUNTIME, the known runtimes listed', () => {
  const r = runCli(['bench', 'whatever', '--runtime', 'tflite']);
  assert.equal(r.code, 2);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /^error BENCH_RUNTIME: unknown runtime 'tflite'; known: onnx, tfjs-wasm/);
});

test('profile-device writes a table; bench --predict reports predicted against measured latency', () => {
  const dir = tempDir();
  const list = join(dir, 'models.json');
  writeFileSync(list, JSON.stringify([
    { input: [16, 16, 1], blocks: [{ type: 'conv2d', filters: 8, stride: 2 }, { type: 'globalavgpool' }] },
    { input: [16, 16, 1], blocks: [{ type: 'conv2d', filters: 8, stride: 2 }, { type: 'mbconv', filters: 8, expansion: 2 }, { type: 'globalavgpool' }] },
    { input: [16, 16, 1], blocks: [{ type: 'sepconv', filters: 8 }, { type: 'maxpool' }, { type: 'flatten' }] },
  ]));
  const table = join(dir, 'table.json');
  const p = runCli(['profile-device', '--runtime', 'onnx', '--space', list, '--out', table, '--warmup', '1', '--iterations', '5', '--json']);
  assert.equal(p.code, 0, p.stderr);
  assert.ok(existsSync(table));
  const pd = p.events.at(-1)!;
  assert.equal(pd['models'], 3);
  // 11 blocks with heads; the stem conv, the pooling and the dense head on 8 features repeat in model 2
  assert.equal(pd['blocks'], 8);
  const r = runCli(['bench', '--predict', table, '--models', list, '--warmup', '1', '--iterations', '5', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const done = r.events.at(-1)!;
  assert.equal(done['mode'], 'predict');
  assert.equal((done['rows'] as unknown[]).length, 3);
  assert.equal(done['n'], 3);
  // the predictor's figures come with the noise floor they are to be read against
  for (const k of ['within10', 'noiseWithin10']) assert.ok((done[k] as number) >= 0 && (done[k] as number) <= 1, k);
  assert.ok((done['noiseMedianAbsPct'] as number) >= 0);
  assert.equal(done['predictor'], 'blocks', 'three models are too few to fit the kernel model on');
});
