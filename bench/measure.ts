/**
 * distillery's side of the peer benchmark: time training steps of a bench model on the current
 * TF.js backend through the trainer itself (`fit`), so the number is what users get.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Dataset } from '../src/data/dataset.ts';
import type { DistilleryEvent } from '../src/core/events.ts';
import { buildModel } from '../src/models/index.ts';
import { fit } from '../src/train/index.ts';
import type { BenchModel } from './models.ts';
import { syntheticData } from './models.ts';

/** One timed round: `steps` steps after `warmup` untimed ones, on a freshly built model. */
export interface RoundResult {
  msPerStep: number;
  steps: number;
  warmup: number;
  /** The first step alone (weight upload, optimizer slots, operator creation, JIT). */
  firstStepMs: number;
  /** Mean training loss of the round, to show the model really trains. */
  loss: number;
  trainableParams: number;
  /** tf.memory().numTensors after the round minus before it: 0 unless something leaks. */
  leakedTensors: number;
}

/** Options of {@link trainRound}. */
export interface RoundOptions {
  /** Seed of the weights and batch order; default 1. */
  seed?: number;
  /** Called after batch `b` (1-based) of the round, e.g. to start and stop a kernel profile. */
  onBatch?: (b: number) => void;
}

const dataCache = new Map<string, Dataset>();

/** `n` synthetic samples for `m`, cut from one cached data set (drawing them takes a while). */
function dataFor(m: BenchModel, n: number): Dataset {
  let ds = dataCache.get(m.name);
  if (!ds || ds.y.length < n) {
    ds = syntheticData(m, Math.max(n, 16 * m.batch), 7);
    dataCache.set(m.name, ds);
  }
  const d = m.input.reduce((a, b) => a * b, 1);
  return { ...ds, x: ds.x.subarray(0, n * d), y: ds.y.subarray(0, n) };
}

/**
 * Builds `m` afresh and trains it one epoch of `warmup + steps + 1` batches with `fit` (Adam,
 * lr 1e-3, softmax CE, the loss read every step). The step times come from the trainer's
 * batch events; the last batch has no event, hence the extra one.
 *
 * @example
 * await initEngine({ backend: 'native', threads: 2 });
 * const r = await trainRound(BENCH_MODELS[0]!, 2, 10); // r.msPerStep
 */
export async function trainRound(m: BenchModel, warmup: number, steps: number, opts: RoundOptions = {}): Promise<RoundResult> {
  const seed = opts.seed ?? 1;
  const before = tf.memory().numTensors;
  const batches = warmup + steps + 1;
  const data = dataFor(m, batches * m.batch);
  const model = buildModel(m.spec, { inputShape: m.input, numClasses: m.numClasses, seed });
  const trainableParams = model.trainableWeights.reduce((a, w) => a + w.shape.reduce<number>((p, d) => p * (d ?? 1), 1), 0);
  // t[0]: epoch start; t[b]: after batch b.
  const t: number[] = [];
  let lossAt = 0;
  const reporter = (e: DistilleryEvent): void => {
    if (e.event === 'epoch_start') t[0] = performance.now();
    else if (e.event === 'batch') {
      t[e.batch] = performance.now();
      lossAt = e.loss;
      opts.onBatch?.(e.batch);
    }
  };
  try {
    await fit(model, data, { epochs: 1, batchSize: m.batch, optimizer: { type: 'adam', lr: 1e-3 }, reportEvery: 1, reporter, seed });
  } finally {
    model.dispose();
  }
  const t0 = t[warmup]!;
  const t1 = t[warmup + steps]!;
  return {
    msPerStep: (t1 - t0) / steps,
    steps,
    warmup,
    firstStepMs: t[1]! - t[0]!,
    loss: lossAt,
    trainableParams,
    leakedTensors: tf.memory().numTensors - before,
  };
}

/** How many steps a round runs and how many rounds, from an estimate of one step's time. */
export interface RoundPlan {
  warmup: number;
  steps: number;
  rounds: number;
  /** Set when the backend is too slow for a full measurement: the reason, for the table. */
  note?: string;
}

/** Time limits of a plan; `--quick` uses smaller ones. */
export interface Budget {
  /** Wanted length of one round. */
  roundMs: number;
  /** Most time one competitor may spend on one model, all rounds together. */
  capMs: number;
  rounds: number;
  maxSteps: number;
}

/**
 * Steps per round so that a round lasts about `budget.roundMs`, at least 2; fewer rounds (and
 * a note) when a backend is so slow that the rounds would pass `budget.capMs`, none when even
 * one round would (the caller then reports its estimate, marked as such).
 *
 * @example
 * planRounds(20, { roundMs: 2000, capMs: 30000, rounds: 3, maxSteps: 60 }); // { warmup: 2, steps: 60, rounds: 3 }
 */
export function planRounds(estMs: number, budget: Budget): RoundPlan {
  const warmup = estMs > 1000 ? 1 : 2;
  const steps = Math.max(2, Math.min(budget.maxSteps, Math.round(budget.roundMs / Math.max(estMs, 1e-3))));
  const perRound = estMs * (warmup + steps + 1);
  if (perRound * budget.rounds <= budget.capMs) return { warmup, steps, rounds: budget.rounds };
  const rounds = Math.floor(budget.capMs / perRound);
  const speed = `${(estMs / 1000).toFixed(1)} s/step`;
  if (rounds === 0) return { warmup, steps, rounds, note: `too slow (${speed}): one step timed, no rounds` };
  return { warmup, steps, rounds, note: `slow (${speed}): ${rounds} round${rounds > 1 ? 's' : ''} of ${steps} steps` };
}

/**
 * Median of a non-empty list.
 *
 * @example
 * median([3, 1, 2]); // 2
 */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}

/**
 * PyTorch's time over ours, round by round: the median of `peer[i] / ours[i]` over the rounds
 * both ran (a round of each runs back to back, so a load change on the machine hits both);
 * the ratio of the two single values when either has no rounds (a too-slow estimate).
 *
 * @example
 * pairedRatio([20, 40, 22], [10, 20, 22], 21, 20); // 2 (median of 2, 2, 1)
 */
export function pairedRatio(peer: readonly number[], ours: readonly number[], peerMs: number | null, oursMs: number | null): number | null {
  const n = Math.min(peer.length, ours.length);
  if (n > 0) return median(Array.from({ length: n }, (_, i) => peer[i]! / ours[i]!));
  return peerMs !== null && oursMs !== null && oursMs > 0 ? peerMs / oursMs : null;
}
