/**
 * distillery against PyTorch on text (issue 13): training tokens/s of the same small
 * transformer (embedding 8000×64 + learned positions, 2 pre-norm encoder layers of 4 heads and
 * feed-forward 256, masked mean pooling, linear head: 620,290 parameters), length 128, batch
 * 32, Adam, random ids with right padding, on 2 threads: PyTorch 1.13 with OpenBLAS
 * (bench/peers/torch_text.py) and distillery's trainer on the native pack (and wasm with
 * --backends). Competitors take turns round by round, as in bench:peer.
 *
 *   npm run bench:text [-- --quick] [--json] [--backends torch,native,wasm] [--rounds 3] [--steps 10]
 *
 * ratio = PyTorch ms/step / distillery ms/step, the median of each round's pair (bench/measure.ts
 * pairedRatio): above 1, distillery trains faster.
 */
import { loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import type { DistilleryEvent } from '../src/core/events.ts';
import type { Dataset } from '../src/data/dataset.ts';
import { disposeEngine, initEngine } from '../src/engine/index.ts';
import { buildModel, modelCost, type ModelSpec } from '../src/models/index.ts';
import { fit } from '../src/train/index.ts';
import { median, pairedRatio } from './measure.ts';
import { TorchPeer } from './peers/torch.ts';

const argv = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const quick = argv.includes('--quick');
const json = argv.includes('--json');
const backends = (option('backends') ?? 'torch,native').split(',') as Array<'torch' | 'native' | 'wasm'>;
const rounds = Number(option('rounds') ?? (quick ? 2 : 3));
const steps = Number(option('steps') ?? (quick ? 3 : 10));
const warmup = 2;

/** The model, shared by both sides. */
const cfg = { vocab: 8000, length: 128, dim: 64, heads: 4, ff: 256, layers: 2, classes: 2, batch: 32 };
const spec: ModelSpec = {
  input: { kind: 'tokens', length: cfg.length, vocabSize: cfg.vocab },
  blocks: [
    { type: 'embedding', dim: cfg.dim, positions: 'learned' },
    ...Array.from({ length: cfg.layers }, () => ({ type: 'transformer' as const, heads: cfg.heads, ffDim: cfg.ff, norm: 'pre' as const, activation: 'gelu' as const })),
    { type: 'seqpool', mode: 'avg' },
  ],
};

/** Random ids in [1, vocab) with lengths 1..L, padded with 0: as torch_text.py draws them. */
function data(n: number): Dataset {
  let s = 12345;
  const next = (): number => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 4294967296;
  };
  const x = new Float32Array(n * cfg.length);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const len = 1 + Math.floor(next() * cfg.length);
    for (let t = 0; t < len; t++) x[i * cfg.length + t] = 1 + Math.floor(next() * (cfg.vocab - 1));
    y[i] = Math.floor(next() * cfg.classes);
  }
  return { x, y, shape: [cfg.length], numClasses: cfg.classes, classNames: ['0', '1'] };
}

/** One round on distillery's trainer: ms/step of `steps` steps after `warmup`. */
async function ourRound(ds: Dataset): Promise<{ ms: number; loss: number; params: number; leaked: number }> {
  const before = tf.memory().numTensors;
  const model = buildModel(spec, { numClasses: cfg.classes, seed: 1 });
  const params = model.countParams();
  const t: number[] = [];
  let loss = 0;
  const reporter = (e: DistilleryEvent): void => {
    if (e.event === 'epoch_start') t[0] = performance.now();
    else if (e.event === 'batch') {
      t[e.batch] = performance.now();
      loss = e.loss;
    }
  };
  const n = (warmup + steps + 1) * cfg.batch;
  const part = { ...ds, x: ds.x.subarray(0, n * cfg.length), y: ds.y.subarray(0, n) };
  try {
    await fit(model, part, { epochs: 1, batchSize: cfg.batch, optimizer: { type: 'adam', lr: 1e-3 }, reportEvery: 1, reporter, seed: 1 });
  } finally {
    model.dispose();
  }
  return { ms: (t[warmup + steps]! - t[warmup]!) / steps, loss, params, leaked: tf.memory().numTensors - before };
}

const cost = modelCost(spec, undefined, cfg.classes);
const ds = data((warmup + steps + 1) * cfg.batch);
const times: Record<string, number[]> = {};
const notes: string[] = [];
let peer: TorchPeer | undefined;
if (backends.includes('torch')) {
  const p = await TorchPeer.start(2);
  if (typeof p === 'string') notes.push(`torch: ${p}`);
  else peer = p;
}
const load0 = loadavg()[0]!;
for (let r = 0; r < rounds; r++) {
  for (const b of backends) {
    if (b === 'torch') {
      if (!peer) continue;
      const res = await peer.textRound({ ...cfg, warmup, steps, seed: 1 });
      if (typeof res === 'string') notes.push(`torch round ${r}: ${res}`);
      else {
        (times['torch'] ??= []).push(res.ms_per_step);
        if (res.params !== cost.params) notes.push(`torch model has ${res.params} parameters, distillery's ${cost.params}`);
      }
    } else {
      await initEngine({ backend: b, threads: 2 });
      const res = await ourRound(ds);
      (times[b] ??= []).push(res.ms);
      if (res.leaked !== 0) notes.push(`${b}: ${res.leaked} tensors leaked in round ${r}`);
      await disposeEngine();
    }
    if (!json) process.stderr.write(`round ${r + 1}/${rounds} ${b}: ${times[b]?.at(-1)?.toFixed(0) ?? '-'} ms/step\n`);
  }
}
peer?.close();
const tokensPerStep = cfg.batch * cfg.length;
const rows = Object.fromEntries(Object.entries(times).map(([b, ts]) => [b, { msPerStep: median(ts), tokensPerSec: (tokensPerStep / median(ts)) * 1000, rounds: ts }]));
const ratio = (b: string): number | null => (times['torch'] && times[b] ? pairedRatio(times['torch'], times[b]!, median(times['torch']), median(times[b]!)) : null);
const result = {
  event: 'done',
  model: { ...cfg, params: cost.params, macsPerSample: cost.macs },
  steps, rounds, loadavg: [load0, loadavg()[0]!],
  backends: rows,
  ratio: Object.fromEntries(backends.filter((b) => b !== 'torch').map((b) => [b, ratio(b)])),
  notes,
};
if (json) console.log(JSON.stringify(result));
else {
  console.log(`bench:text: transformer ${cost.params.toLocaleString('en-US')} params, ${(cost.macs / 1e6).toFixed(1)}M MACs/sample at length ${cfg.length}, batch ${cfg.batch}, ${rounds} rounds × ${steps} steps, 2 threads (load ${load0.toFixed(1)})`);
  for (const [b, r] of Object.entries(rows)) console.log(`  ${b.padEnd(7)} ${r.msPerStep.toFixed(0).padStart(6)} ms/step  ${r.tokensPerSec.toFixed(0).padStart(7)} tokens/s`);
  for (const [b, v] of Object.entries(result.ratio)) console.log(`  ratio torch/${b}: ${v === null ? '-' : v.toFixed(2)} (above 1: distillery faster)`);
  for (const n of notes) console.log(`  note: ${n}`);
}
