/**
 * Training throughput of the engine: samples/s of an MLP 784-1200-1200-10 and a small conv
 * net on MNIST (batch 128, Adam, softmax cross-entropy), on stock wasm, on wasm with
 * distillery's kernels (1 thread and all cores) and on the pure-JS cpu backend.
 *
 *   npm run bench:train [-- --json] [-- --quick]
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { availableParallelism, loadavg } from 'node:os';
import { disposeEngine, initEngine } from '../src/engine/index.ts';
import type { EngineInfo, EngineOptions } from '../src/engine/index.ts';
import { mnistSubset } from './mnist.ts';

const BATCH = 128;
const json = process.argv.includes('--json');
const quick = process.argv.includes('--quick');

type ModelName = 'mlp' | 'conv';

function build(name: ModelName): tfl.Sequential {
  const layers = tfl.layers;
  if (name === 'mlp') {
    return tfl.sequential({ layers: [
      layers.dense({ inputShape: [784], units: 1200, activation: 'relu' }),
      layers.dense({ units: 1200, activation: 'relu' }),
      layers.dense({ units: 10 }),
    ] });
  }
  return tfl.sequential({ layers: [
    layers.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 3, activation: 'relu' }),
    layers.maxPooling2d({ poolSize: 2 }),
    layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }),
    layers.maxPooling2d({ poolSize: 2 }),
    layers.flatten(),
    layers.dense({ units: 128, activation: 'relu' }),
    layers.dense({ units: 10 }),
  ] });
}

interface Row { config: string; model: ModelName; samplesPerSec: number | null; steps: number; msPerStep: number | null; note?: string }

/** Trains `model` for a time budget and returns samples/s (null with a note when it cannot train). */
function measure(name: ModelName, data: { x: Float32Array; y: Int32Array }, budgetMs: number, maxSteps: number, warmup: boolean): Omit<Row, 'config'> {
  const model = build(name);
  const opt = tf.train.adam(1e-3);
  const nBatches = Math.floor(data.y.length / BATCH);
  const shape = name === 'mlp' ? [BATCH, 784] : [BATCH, 28, 28, 1];
  const step = (i: number): number => tf.tidy(() => {
    const b = i % nBatches;
    const x = tf.tensor(data.x.subarray(b * BATCH * 784, (b + 1) * BATCH * 784), shape);
    const y = tf.oneHot(tf.tensor1d(data.y.subarray(b * BATCH, (b + 1) * BATCH), 'int32'), 10);
    const loss = opt.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, true);
    return loss!.dataSync()[0]!;
  });
  try {
    // Warm-up: XNNPACK operator creation and JIT tiers. The cpu backend is too slow to spare it.
    if (warmup) for (let i = 0; i < 3; i++) step(i);
    let steps = 0;
    const t0 = performance.now();
    while (steps < maxSteps && (steps < Math.min(2, maxSteps) || performance.now() - t0 < budgetMs)) step(++steps);
    const ms = performance.now() - t0;
    return { model: name, samplesPerSec: (steps * BATCH * 1000) / ms, steps, msPerStep: ms / steps };
  } catch (e) {
    return { model: name, samplesPerSec: null, steps: 0, msPerStep: null, note: `cannot train: ${(e as Error).message.split('\n')[0]}` };
  } finally {
    model.dispose();
    opt.dispose();
  }
}

async function main(): Promise<void> {
  const data = mnistSubset(BATCH * 8);
  // Other processes skew these numbers: the load at start goes into the output.
  const load = loadavg()[0]!;
  const cores = availableParallelism();
  const configs: { label: string; opts: EngineOptions; budgetMs: number; maxSteps: number; warmup?: false }[] = [
    { label: 'wasm stock, 1 thread', opts: { backend: 'wasm', threads: 1, kernels: 'stock' }, budgetMs: quick ? 1500 : 6000, maxSteps: 40 },
    { label: 'wasm distillery, 1 thread', opts: { backend: 'wasm', threads: 1 }, budgetMs: quick ? 1500 : 6000, maxSteps: 60 },
    { label: `wasm distillery, ${cores} threads`, opts: { backend: 'wasm', threads: cores }, budgetMs: quick ? 1500 : 6000, maxSteps: 60 },
    { label: 'cpu (pure JS)', opts: { backend: 'cpu' }, budgetMs: 1, maxSteps: quick ? 1 : 2, warmup: false },
  ];
  const rows: Row[] = [];
  const engines: Record<string, EngineInfo> = {};
  for (const c of configs) {
    const info = await initEngine(c.opts);
    engines[c.label] = info;
    for (const m of ['mlp', 'conv'] as const) {
      const r = { config: c.label, ...measure(m, data, m === 'conv' && c.opts.backend === 'cpu' ? 1 : c.budgetMs, m === 'conv' && c.opts.backend === 'cpu' ? 1 : c.maxSteps, c.warmup ?? true) };
      rows.push(r);
      if (!json) process.stderr.write(`  ${c.label} ${m}: ${r.samplesPerSec?.toFixed(0) ?? '-'} samples/s\n`);
    }
  }
  await disposeEngine();
  const fmt = (v: number | null, d = 0): string => (v === null ? '-' : v.toFixed(d));
  const lines = [
    `training throughput, batch ${BATCH}, Adam, softmax CE (samples/s; higher is better); ${cores} cores, load ${load.toFixed(2)} at start`,
    `${'config'.padEnd(30)} ${'model'.padEnd(5)} ${'samples/s'.padStart(10)} ${'ms/step'.padStart(9)} ${'steps'.padStart(6)}  note`,
    ...rows.map((r) => `${r.config.padEnd(30)} ${r.model.padEnd(5)} ${fmt(r.samplesPerSec).padStart(10)} ${fmt(r.msPerStep, 1).padStart(9)} ${String(r.steps).padStart(6)}  ${r.note ?? ''}`),
    ...Object.entries(engines).flatMap(([k, e]) => e.notes.map((n) => `note (${k}): ${n}`)),
  ];
  console.log(lines.join('\n'));
  if (json) console.log(JSON.stringify({ event: 'done', bench: 'train', batch: BATCH, cores, loadAtStart: load, rows, engines }));
}

await main();
