import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initEngine } from '../../engine/index.ts';
import { buildModel, saveModel } from '../../models/index.ts';
import { everyBlock, mnistHead } from '../../models/testing.ts';
import { loadMnist } from '../../data/index.ts';
import { fit } from '../../train/index.ts';
import { exportTfjs } from './export.ts';

/** Serve a folder over HTTP: the stock `tf.loadLayersModel(url)` path, as a browser takes it. */
async function serve(dir: string): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const file = join(dir, normalize(decodeURIComponent(req.url ?? '/')).replace(/^[/\\.]+/, ''));
    try {
      const body = readFileSync(file);
      res.writeHead(200, { 'content-type': file.endsWith('.json') ? 'application/json' : 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address() as { port: number };
  return { url: `http://127.0.0.1:${addr.port}`, server };
}

function predict(model: tfl.LayersModel, x: Float32Array, shape: number[]): Float32Array {
  return tf.tidy(() => (model.predict(tf.tensor(x, shape)) as tf.Tensor).dataSync() as Float32Array);
}

function argmaxRows(v: Float32Array, k: number): Int32Array {
  const out = new Int32Array(v.length / k);
  for (let i = 0; i < out.length; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (v[i * k + j]! > v[i * k + best]!) best = j;
    out[i] = best;
  }
  return out;
}

function maxAbs(v: Float32Array): number {
  return v.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

test('a trained MNIST MLP exported as fp32, float16 and uint8 loads with stock tf.loadLayersModel over HTTP and predicts the same', async () => {
  await initEngine({ backend: 'wasm', threads: 1 });
  const train = loadMnist('train', 3000);
  for (let i = 0; i < train.x.length; i++) train.x[i]! /= 255;
  const model = buildModel({ blocks: [{ type: 'flatten' }, { type: 'dense', units: 128 }, { type: 'activation', fn: 'relu' }] }, { inputShape: [28, 28, 1], numClasses: 10, seed: 1 });
  await fit(model, train, { epochs: 2, batchSize: 64, optimizer: { type: 'adam', lr: 2e-3 }, seed: 1 });
  const dir = mkdtempSync(join(tmpdir(), 'distillery-tfjs-'));
  await saveModel(model, join(dir, 'model'));
  const { x, y } = mnistHead(1000);
  const ref = predict(model, x, [1000, 28, 28, 1]);
  const refClass = argmaxRows(ref, 10);
  assert.ok(refClass.filter((c, i) => c === y[i]).length > 850, 'the model learned (else class agreement means little)');

  const { url, server } = await serve(dir);
  try {
    const sizes: Record<string, number> = {};
    for (const q of ['none', 'float16', 'uint8'] as const) {
      const r = await exportTfjs(join(dir, 'model'), { out: join(dir, q), ...(q === 'none' ? {} : { quantize: q }) });
      sizes[q] = r.weightBytes;
      assert.equal(r.weightBytes, readdirSync(join(dir, q)).filter((f) => f.endsWith('.bin')).reduce((s, f) => s + statSync(join(dir, q, f)).size, 0));
      const loaded = await tfl.loadLayersModel(`${url}/${q}/model.json`);
      const out = predict(loaded, x, [1000, 28, 28, 1]);
      const agree = argmaxRows(out, 10).filter((c, i) => c === refClass[i]).length;
      const rel = maxAbsDiff(out, ref) / maxAbs(ref);
      if (q === 'none') assert.equal(rel, 0);
      if (q === 'float16') assert.ok(rel < 1e-2 && rel > 0, `float16 relative error ${rel}`);
      if (q === 'uint8') assert.ok(rel < 5e-2 && rel > 0, `uint8 relative error ${rel}`);
      assert.ok(agree >= 990, `${q}: ${agree}/1000 same class`);
      const meta = loaded.getUserDefinedMetadata() as { distillery: { export: { quantize: string }; spec: unknown } };
      assert.equal(meta.distillery.export.quantize, q);
      assert.ok(meta.distillery.spec, 'the spec metadata survives');
      loaded.dispose();
    }
    // 784*128 + 128*10 kernel values vs 128 + 10 biases kept at fp32 under uint8
    assert.equal(sizes['float16'], sizes['none']! / 2);
    assert.equal(sizes['uint8'], 784 * 128 + 128 * 10 + 4 * (128 + 10));
    assert.ok(sizes['uint8']! / sizes['none']! < 0.26);
  } finally {
    server.close();
    model.dispose();
  }
});

test('every block kind round-trips through float16 and uint8, from a LayersModel, in several shards', async () => {
  await initEngine({ backend: 'wasm', threads: 1 });
  const model = buildModel(everyBlock, { seed: 3 });
  const dir = mkdtempSync(join(tmpdir(), 'distillery-tfjs-'));
  const x = Float32Array.from({ length: 4 * 12 * 12 * 3 }, (_, i) => Math.sin(i * 0.37));
  const ref = predict(model, x, [4, 12, 12, 3]);
  const { url, server } = await serve(dir);
  try {
    for (const q of ['float16', 'uint8'] as const) {
      const r = await exportTfjs(model, { out: join(dir, q), quantize: q, shardBytes: 1000 });
      assert.ok(r.files.length > 3, 'several shards');
      assert.equal(r.files.length - 1, Math.ceil(r.weightBytes / 1000));
      const loaded = await tfl.loadLayersModel(`${url}/${q}/model.json`);
      const rel = maxAbsDiff(predict(loaded, x, [4, 12, 12, 3]), ref) / maxAbs(ref);
      assert.ok(rel < (q === 'float16' ? 1e-2 : 0.1), `${q}: relative error ${rel}`);
      loaded.dispose();
    }
  } finally {
    server.close();
    model.dispose();
  }
});

test('bad inputs: a folder without a model, a non-model JSON, an unknown quantization', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'distillery-tfjs-'));
  await assert.rejects(exportTfjs(dir, { out: join(dir, 'o') }), { code: 'MODEL_NOT_FOUND' });
  const { writeFileSync } = await import('node:fs');
  writeFileSync(join(dir, 'model.json'), '{"hello": 1}');
  await assert.rejects(exportTfjs(dir, { out: join(dir, 'o') }), { code: 'MODEL_FORMAT' });
  await assert.rejects(exportTfjs(dir, { out: join(dir, 'o'), quantize: 'int4' as never }), { code: 'TFJS_QUANTIZE' });
});
