import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initEngine } from '../../engine/index.ts';
import { buildModel, modelCost, saveModel } from '../../models/index.ts';
import { writeOnnx } from '../../onnx/index.ts';
import { bench, type BenchResult } from './bench.ts';

const spec = { blocks: [{ type: 'conv2d', filters: 4, stride: 2 }, { type: 'mbconv', filters: 8, expansion: 2, se: 0.25 }, { type: 'globalavgpool' }] } as const;
const cost = modelCost(spec as never, [12, 12, 1], 10);

async function savedModel(): Promise<string> {
  await initEngine({ backend: 'wasm', threads: 1 });
  const dir = mkdtempSync(join(tmpdir(), 'distillery-bench-'));
  const model = buildModel(spec as never, { inputShape: [12, 12, 1], numClasses: 10, seed: 1 });
  await saveModel(model, join(dir, 'model'));
  await writeOnnx(model, join(dir, 'model.onnx'));
  model.dispose();
  return dir;
}

function checkShape(r: BenchResult, batches: number[]): void {
  assert.deepEqual(r.batches.map((b) => b.batch), batches);
  for (const b of r.batches) {
    assert.equal(b.iterations, 7);
    assert.ok(b.minMs > 0 && b.minMs <= b.p50Ms && b.p50Ms <= b.p95Ms && b.p95Ms <= b.p99Ms && b.p99Ms <= b.maxMs, JSON.stringify(b));
    // throughput is batch / mean time, in samples per second
    assert.ok(Math.abs(b.throughput - (b.batch * 1000) / b.meanMs) < 1e-6 * b.throughput);
  }
  assert.equal(r.p50Ms, r.batches[0]!.p50Ms);
  assert.equal(r.p95Ms, r.batches[0]!.p95Ms);
  assert.equal(r.p99Ms, r.batches[0]!.p99Ms);
  assert.equal(r.throughput, r.batches[0]!.throughput);
  assert.equal(r.params, cost.params);
  assert.equal(r.macs, cost.macs);
  assert.deepEqual(r.bytes, cost.bytes);
}

test('bench a model folder on tfjs-wasm and on onnx, and its exported .onnx file', async () => {
  const dir = await savedModel();
  const opts = { batches: [1, 4], threads: 1, warmup: 2, iterations: 7 };
  const wasm = await bench(join(dir, 'model'), { ...opts, runtime: 'tfjs-wasm' });
  checkShape(wasm, [1, 4]);
  assert.equal(wasm.runtime, 'tfjs-wasm');
  assert.equal(wasm.fileBytes, cost.bytes.fp32);
  const onnx = await bench(join(dir, 'model'), { ...opts, runtime: 'onnx' });
  checkShape(onnx, [1, 4]);
  const file = await bench(join(dir, 'model.onnx'), { ...opts, runtime: 'onnx', batches: [2] });
  // the spec travels in the ONNX metadata, so a bare file still gets its costs
  checkShape(file, [2]);
});

test('bench errors: unknown runtime, not a model, an .onnx file on tfjs-wasm, a bad batch size', async () => {
  const dir = await savedModel();
  await assert.rejects(bench(join(dir, 'model'), { runtime: 'tflite' }), (e: Error & { code?: string }) => e.code === 'BENCH_RUNTIME' && /known: onnx, tfjs-wasm/.test(e.message));
  writeFileSync(join(dir, 'notes.txt'), 'hello');
  await assert.rejects(bench(join(dir, 'notes.txt'), { runtime: 'onnx' }), { code: 'BENCH_MODEL' });
  await assert.rejects(bench(join(dir, 'missing'), { runtime: 'onnx' }), { code: 'BENCH_MODEL' });
  await assert.rejects(bench(join(dir, 'model.onnx'), { runtime: 'tfjs-wasm' }), { code: 'BENCH_MODEL_RUNTIME' });
  await assert.rejects(bench(join(dir, 'model'), { runtime: 'onnx', batches: [0] }), { code: 'BENCH_BATCH' });
});

test('tfjs-wasm runs on 1 thread unless told otherwise, as profile-device times, whatever engine ran before', async () => {
  const dir = await savedModel();
  await initEngine({ backend: 'wasm', threads: 2 });
  const r = await bench(join(dir, 'model'), { runtime: 'tfjs-wasm', warmup: 1, maxWarmup: 1, iterations: 2 });
  assert.equal(r.threads, 1);
});
