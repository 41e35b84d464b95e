import { cpus, platform, arch } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { Reporter } from '../../core/events.ts';
import { engineInfo, initEngine } from '../../engine/index.ts';
import { buildResolved, costOfResolved, type ResolvedModelSpec } from '../../models/index.ts';
import { latencyStats, percentile, timeRuns } from '../bench/stats.ts';
import { anchorScale, driftCorrected, interleave } from './drift.ts';
import { onnxBytesOf } from '../bench/onnx-source.ts';
import { openBrowser, type BrowserOptions, type BrowserSession } from '../../runtime/browser.ts';
import { browserRunner, onnxRunner, runtimeName, tfjsRunner, type PreparedRun, type Runner, type RuntimeName } from '../bench/runners.ts';
import { LATENCY_TABLE_VERSION, blockInstances, emptyOf, features, fitEmpty, fitKernelModel, fitKinds, fitKindScales, fitOverhead, kindSums, predictKernelMs, whereWorst, type BlockInstance, type KernelModel, type LatencyTable, type TableEntry } from '../../models/latency/index.ts';

/** Options of {@link profileDevice} and {@link measureLatency}. */
export interface ProfileOptions {
  runtime: RuntimeName | string;
  /** Runtime threads; default 1 (a phone- or browser-like single core, and the steadiest timings). */
  threads?: number;
  /** Untimed runs per model; default 10. */
  warmup?: number;
  /** Timed runs per model; default 100 (MNIST-sized models run in 0.01–1 ms). */
  iterations?: number;
  /**
   * What one round of a model's timed runs comes to: the `min` (default), the interquartile
   * mean (`trimmed`: the mean of the runs between the 25th and 75th percentiles) or the
   * `median`. A run on a shared machine is either undisturbed or lengthened by whatever else
   * ran on its core; the fastest of a round's runs is the undisturbed cost, and the median over
   * rounds keeps one lucky run from deciding it. Measured on this project's shared 2-core
   * machine at load 10-13 (the same 100 models measured twice, drift taken out): within ±10%
   * of each other 78% with the min, 63% (onnx) and 41% (tfjs-wasm) with the trimmed mean.
   */
  statistic?: 'trimmed' | 'median' | 'min';
  /** Passes over the models (see {@link measureModels}); default 3. */
  rounds?: number;
  /**
   * What a model's figure is over its rounds: the fastest round (`min`, the default: the round
   * the machine disturbed least, no drift correction), or the `median` of the drift-corrected
   * rounds. Measured on this project's 2-core VM, whose speed swung by ±25% within a minute
   * even idle (`npm run bench:predictor -- --runtime onnx --models 100 --pool 160 --iterations
   * 30 --rounds 8 --pin 1 --realtime --over-rounds min|median`, load 0.2-2.4): the noise floor
   * (100 models measured twice) was 100% within ±10% in both runs with `min`, 68-90% in four
   * with `median`.
   */
  overRounds?: 'median' | 'min';
  /**
   * With `overRounds: 'median'`, divide out the machine's drift within the measurement (see
   * `driftCorrected`); default true. Applies to lists of at least 8 models (fewer give no
   * neighbours to read the machine from).
   */
  drift?: boolean;
  /**
   * Models timed in the same rounds as the others, to set the level of their figures: with
   * `ms` (a reference measurement of the same anchors, e.g. a table's), every figure is put on
   * the reference's scale (see `anchorScale`); without, the anchors' figures now are returned.
   */
  anchors?: { specs: readonly ResolvedModelSpec[]; ms?: readonly number[] };
  /** For `browser`: which Chromium (a DevTools endpoint, or the binary to start). */
  browser?: Omit<BrowserOptions, 'threads'>;
  reporter?: Reporter;
}

/** Options of {@link profileDevice}. */
export interface ProfileDeviceOptions extends ProfileOptions {
  /**
   * Whole models timed to fit the per-kind scales and `overheadMs` (one `scale` when there are
   * fewer than 2 per block kind); default: up to 16 of the profiled specs, spread over the list.
   */
  calibration?: readonly ResolvedModelSpec[];
  /**
   * Whole models (drawn from `specs`) the kernel latency model is fitted on; default 96, 0 for
   * none (then predictions are block sums). Half are spread over the list; the rest are chosen
   * in two adaptive rounds next to the models the fit misses most (see `whereWorst`).
   */
  kernelModels?: number;
  /**
   * Give the kernel model each block kind's summed lone latency from the table as features
   * too (see `KernelModel.blockKinds`); default true. Measured with the predictor's bench on
   * onnx (the same timings fitted both ways, 100 held-out models): within ±10% 75% -> 90%,
   * median |error| 5.1% -> 3.4%.
   */
  blockFeatures?: boolean;
  /** Where the kernel model's training models are drawn from; default `specs`. */
  kernelPool?: readonly ResolvedModelSpec[];
  /**
   * After the kernel model's models are timed (in batches, as the adaptive rounds pick them),
   * time them all again in one interleaved pass of this many rounds and fit the kernel model
   * on that: a machine whose speed drifts between the batches would otherwise put each batch
   * on its own scale. Default: `rounds`; 0 for none.
   */
  finalPass?: number;
  /** Called with the whole models the kernel model was fitted on and their latencies (to fit baselines on the same data). */
  onKernelData?: (specs: readonly ResolvedModelSpec[], ms: readonly number[]) => void;
}

/**
 * The model as an app that loads it from disk runs it: saved to memory and loaded back through
 * stock tfjs-layers. A model built in memory can run other kernels than its saved form (its
 * relu6 layers run TF.js's one Relu6 kernel; loaded, the stock relu6 is Relu then Minimum), and
 * `bench` times the loaded form, so a table must be profiled on it too. The caller disposes both.
 *
 * @example
 * const loaded = await asLoaded(buildResolved(spec, 1));
 */
export async function asLoaded(model: tfl.LayersModel): Promise<tfl.LayersModel> {
  let art: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (a) => {
    art = a;
    return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) };
  }));
  return tfl.loadLayersModel(tf.io.fromMemory(art!));
}

/**
 * A runner for a spec on a runtime (random weights: latency does not depend on their values),
 * timing the model as loaded from disk (see {@link asLoaded}), as `bench` does. `browser` needs
 * an open session (see `openBrowser`). The caller releases it.
 *
 * @example
 * const r = await specRunner(spec, 'onnx', 1);
 */
export async function specRunner(spec: ResolvedModelSpec | tfl.LayersModel, runtime: RuntimeName, threads: number, session?: BrowserSession): Promise<{ runner: Runner; release: () => Promise<void> }> {
  const given = 'blocks' in spec ? undefined : spec;
  const built = given ?? buildResolved(spec as ResolvedModelSpec, 1);
  let model: tfl.LayersModel;
  try {
    // the browser page loads the saved files itself (webModelOf): it already runs the loaded form
    model = runtime === 'browser' ? built : await asLoaded(built);
  } finally {
    if (!given && runtime !== 'browser') built.dispose();
  }
  const owned = model !== given;
  if (runtime === 'tfjs-wasm') {
    const runner = tfjsRunner(model);
    return { runner, release: async () => { if (owned) model.dispose(); } };
  }
  try {
    if (runtime === 'browser') {
      if (!session) throw new Error('specRunner: the browser runtime needs an open session');
      const runner = await browserRunner(model, session);
      return { runner, release: () => runner.release() };
    }
    const runner = await onnxRunner(await onnxBytesOf(model), model.name, threads);
    return { runner, release: () => runner.release() };
  } finally {
    if (owned) model.dispose();
  }
}

async function ready(runtime: RuntimeName, threads: number): Promise<void> {
  // TF.js builds the models for every runtime; only tfjs-wasm needs wasm with these threads.
  const info = engineInfo();
  if (runtime !== 'tfjs-wasm' ? info !== undefined : info?.backend === 'wasm' && info.threads === threads) return;
  await initEngine({ backend: 'wasm', threads: runtime === 'tfjs-wasm' ? threads : 1 });
}

/** Each model's latency and how much it moved between rounds. */
export interface Measured {
  /** Batch-1 latency per model, ms: over rounds (see `ProfileOptions.overRounds`), of each round's statistic. */
  ms: number[];
  /** Per model, `100 · (max − min) / median` of the rounds' statistics: the spread of the figure. */
  spreadPct: number[];
  /** The anchors' figures in this measurement (before any rescaling), when anchors were given. */
  anchorMs?: number[];
  /** The factor `ms` was multiplied by to match the anchors' reference (1 without one). */
  scale: number;
}

/**
 * Batch-1 latency (ms) of each model on a runtime: {@link measureModels}' figures.
 *
 * @example
 * const [ms] = await measureLatency([spec], { runtime: 'onnx' });
 */
export async function measureLatency(models: readonly (ResolvedModelSpec | tfl.LayersModel)[], opts: ProfileOptions): Promise<number[]> {
  return (await measureModels(models, opts)).ms;
}

/**
 * Batch-1 latency of each model on a runtime, as steadily as the machine allows: all models
 * are opened first, each warmed up until it runs steadily, then timed in `rounds` passes over
 * the whole list, round-robin (see `interleave`: a burst of load from other processes spreads
 * over many models instead of inflating one); each round is summed up by the fastest of its
 * runs (or their interquartile mean or median), and a model's figure is its fastest round (or
 * the median over rounds, the machine's drift divided out of each: see `driftCorrected`). With
 * `anchors`, the figures are put on a reference measurement's scale. Timing runs on the calling
 * thread with the runtime's threads (default 1); keeping that thread on one core
 * (`pinMainThread`) steadies it further.
 *
 * @example
 * const { ms, spreadPct } = await measureModels([spec], { runtime: 'onnx' });
 */
export async function measureModels(models: readonly (ResolvedModelSpec | tfl.LayersModel)[], opts: ProfileOptions): Promise<Measured> {
  const runtime = runtimeName(opts.runtime);
  const threads = opts.threads ?? 1;
  const rounds = opts.rounds ?? 3;
  const anchors = opts.anchors?.specs ?? [];
  // Anchors spread evenly through the list, so that they see the whole round's machine.
  const order: { anchor: number; model: number }[] = [];
  for (let i = 0, k = 0; i <= models.length; i++) {
    while (k < anchors.length && Math.floor((k * models.length) / anchors.length) <= i) order.push({ anchor: k++, model: -1 });
    if (i < models.length) order.push({ anchor: -1, model: i });
  }
  const list = order.map((o) => (o.anchor >= 0 ? anchors[o.anchor]! : models[o.model]!));
  await ready(runtime, threads);
  const session = runtime === 'browser' ? await openBrowser({ ...opts.browser, threads }) : undefined;
  const open: { run: PreparedRun; release: () => Promise<void> }[] = [];
  try {
    for (const m of list) {
      const { runner, release } = await specRunner(m, runtime, threads, session);
      const run = await runner.prepare(1);
      open.push({ run, release: async () => { await run.dispose(); await release(); } });
    }
    const per: number[][] = list.map(() => []);
    const pos: number[][] = list.map(() => []);
    const schedule = interleave(open.length, rounds);
    // round-robin (see `interleave`): a slow stretch of the machine falls on many models, not one
    for (const [k, [r, i]] of schedule.entries()) {
      const p = open[i]!.run;
      pos[i]!.push(k);
      // The first round warms each model until steady; later rounds only re-touch its caches.
      const timing = { warmup: r === 0 ? (opts.warmup ?? 10) : 2, ...(r === 0 ? {} : { maxWarmup: 2 }), iterations: opts.iterations ?? 100 };
      const ms = p.time ? (await p.time(timing)).times : await timeRuns(() => p.run(), timing);
      const s = latencyStats(ms, 1);
      const stat = opts.statistic ?? 'min';
      per[i]!.push(stat === 'min' ? s.minMs : stat === 'median' ? s.p50Ms : s.trimmedMeanMs);
    }
    const spreadOf = (v: readonly number[]): number => {
      const s = [...v].sort((a, b) => a - b);
      return (100 * (s.at(-1)! - s[0]!)) / percentile(s, 50);
    };
    const overRounds = opts.overRounds ?? 'min';
    const fixed = overRounds === 'median' && (opts.drift ?? true) && list.length >= 8 ? driftCorrected(per, 15, pos) : per;
    const fig = fixed.map((v) => (overRounds === 'min' ? Math.min(...v) : percentile([...v].sort((a, b) => a - b), 50)));
    const pick = <T>(a: readonly T[], anchor: boolean): T[] => order.flatMap((o, i) => ((o.anchor >= 0) === anchor ? [a[i]!] : []));
    const anchorMs = pick(fig, true);
    const ref = opts.anchors?.ms;
    const scale = ref && anchors.length > 0 ? anchorScale(anchorMs, ref) : 1;
    return { ms: pick(fig, false).map((v) => v * scale), spreadPct: pick(per, false).map(spreadOf), ...(anchors.length > 0 ? { anchorMs } : {}), scale };
  } finally {
    for (const o of open) await o.release();
    await session?.close();
  }
}

/**
 * Profiles a device: times every distinct block (kind, options, input shape) of `specs` alone
 * at batch 1, minus the cost of an empty model at the block's output size (so the fixed cost
 * of a run and the read-back of the block's output are not counted once per block), fits each
 * kind's linear fallback, then times whole calibration models to fit
 * `latency ≈ Σ kind scale · block + empty model + overhead`. The result is what
 * `predictLatency` reads (write it with `writeJsonAtomic`).
 *
 * @example
 * const specs = specsFromSpace(SearchSpace.fromFile('examples/spaces/mnist-mobile.yaml'), 200);
 * const table = await profileDevice(specs, { runtime: 'tfjs-wasm', threads: 1 });
 */
export async function profileDevice(specs: readonly ResolvedModelSpec[], opts: ProfileDeviceOptions): Promise<LatencyTable> {
  const runtime = runtimeName(opts.runtime);
  const threads = opts.threads ?? 1;
  const unique = new Map<string, BlockInstance>();
  for (const s of specs) for (const b of blockInstances(s)) if (!unique.has(b.key)) unique.set(b.key, b);
  const blocks = [...unique.values()];
  const emptyShapes = [...new Set(blocks.map((b) => b.outShape.join('x')))];
  const emptySpecs: ResolvedModelSpec[] = emptyShapes.map((k) => ({ input: k.split('x').map(Number), blocks: [{ type: 'activation', fn: 'linear' }] }));
  const calib = opts.calibration ?? spread(specs, 16);
  opts.reporter?.({ event: 'info', message: `profiling ${blocks.length} blocks, ${emptySpecs.length} empty models and ${calib.length} calibration models on ${runtime}` });
  // One interleaved pass over everything: a machine that slows down or speeds up while it is
  // profiled then shifts blocks and calibration models alike, and the fit stays consistent.
  const times = await measureLatency([...emptySpecs, ...blocks.map((b) => ({ input: b.inShape, blocks: [b.block] })), ...calib], opts);
  const measured = times.slice(emptySpecs.length + blocks.length);
  const empty = new Map(emptyShapes.map((k, i) => [k, times[i]!]));
  const raw = new Map(blocks.map((b, i) => [b.key, times[emptySpecs.length + i]!]));
  // A lone block's run also pays a run's fixed cost and reads its output back, neither of which
  // it adds inside a model: subtract the empty model's cost at its output size. That cost is
  // linear in the elements read back; the line through all empties is steadier than any one.
  const emptyMs = Object.fromEntries(empty);
  const emptyFit = fitEmpty(emptyMs);
  const entries: Record<string, TableEntry> = {};
  for (const b of unique.values()) {
    const [macs, elems, params] = features(b);
    entries[b.key] = { type: b.block.type, ms: Math.max(0, raw.get(b.key)! - emptyOf(b.outShape, { emptyFit })), macs, elems, params };
  }
  const table: LatencyTable = {
    version: LATENCY_TABLE_VERSION,
    runtime,
    threads,
    batch: 1,
    device: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', platform: `${platform()}-${arch()}` },
    createdAt: new Date().toISOString(),
    entries,
    emptyMs,
    emptyFit,
    fits: fitKinds(entries),
    scale: 1,
    kindScales: {},
    overheadMs: 0,
    ...(calib.length > 0 ? { anchors: { specs: [...calib], ms: measured } } : {}),
  };
  if (calib.length > 0) {
    const base = calib.map((s) => emptyOf(outputShape(s), table));
    const sums = calib.map((s) => kindSums(s, table));
    const kinds = new Set(sums.flatMap((s) => Object.keys(s))).size;
    // Per-kind scales need a few models per kind; with fewer, one scale for all.
    if (calib.length >= 2 * kinds) Object.assign(table, fitKindScales(sums, measured, base));
    else Object.assign(table, fitOverhead(sums.map((s) => Object.values(s).reduce((a, b) => a + b, 0)), measured, base));
    const ks = Object.entries(table.kindScales).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ');
    opts.reporter?.({ event: 'info', message: `calibrated on ${calib.length} models: scale ${table.scale.toFixed(3)}${ks ? ` (${ks})` : ''}, overhead ${table.overheadMs.toFixed(3)} ms` });
  }
  const kpool = opts.kernelPool ?? specs;
  const budget = Math.min(opts.kernelModels ?? 96, kpool.length);
  if (budget < 8) return table;
  const fitted = await fitKernelsAdaptively(kpool, calib, measured, budget, runtime, opts, table);
  let { specs: train, ms } = fitted;
  const finalRounds = opts.finalPass ?? opts.rounds ?? 3;
  if (finalRounds > 0) {
    // all of them again, in one interleaved pass: one scale for every model the fit sees
    const { anchors: _, ...rest } = opts;
    ms = await measureLatency(train, { ...rest, rounds: finalRounds });
    // the calibration models lead the list: their figures now are the anchors' reference
    if (table.anchors) table.anchors.ms = ms.slice(0, calib.length);
  }
  const km = finalRounds > 0 ? fitKernelModel(train, ms, runtime, blockSumsOf(table, opts)) : fitted.km;
  opts.onKernelData?.(train, ms);
  opts.reporter?.({ event: 'info', message: `kernel model fitted on ${km.n} models${finalRounds > 0 ? ` (final pass of ${finalRounds} rounds)` : ''}: |error| median ${km.fitMedianAbsPct.toFixed(1)}%, p90 ${km.fitP90AbsPct.toFixed(1)}% (in sample)` });
  table.kernels = km;
  return table;
}

/**
 * Fits the kernel model: the calibration models plus half the budget spread over `specs`,
 * then two rounds that each measure a quarter of the budget next to the worst-fitted models.
 */
async function fitKernelsAdaptively(specs: readonly ResolvedModelSpec[], calib: readonly ResolvedModelSpec[], calibMs: readonly number[], budget: number, runtime: RuntimeName, opts: ProfileDeviceOptions, table: LatencyTable): Promise<{ km: KernelModel; specs: ResolvedModelSpec[]; ms: number[] }> {
  const sums = blockSumsOf(table, opts);
  const key = (s: ResolvedModelSpec): string => JSON.stringify(s);
  const have = new Set(calib.map(key));
  const train = [...calib];
  const ms = [...calibMs];
  const first = spread(specs.filter((s) => !have.has(key(s))), Math.ceil(budget / 2));
  const add = async (more: readonly ResolvedModelSpec[]): Promise<void> => {
    if (more.length === 0) return;
    // the calibration models time along, so every batch is on the first one's scale
    const t = await measureLatency(more, { ...opts, anchors: { specs: calib, ms: calibMs } });
    for (const s of more) have.add(key(s));
    train.push(...more);
    ms.push(...t);
  };
  await add(first);
  let km = fitKernelModel(train, ms, runtime, sums);
  for (let round = 0; round < 2; round++) {
    const pool = specs.filter((s) => !have.has(key(s)));
    const errs = train.map((s, i) => Math.abs(predictKernelMs(s, km, sums?.(s)) / ms[i]! - 1) * 100);
    await add(whereWorst(pool, train, errs, Math.ceil(budget / 4), runtime).map((i) => pool[i]!));
    km = fitKernelModel(train, ms, runtime, sums);
  }
  return { km, specs: train, ms };
}

/** The table's summed block latencies per kind, as kernel-model features (unless turned off). */
function blockSumsOf(table: LatencyTable, opts: ProfileDeviceOptions): ((s: ResolvedModelSpec) => Record<string, number>) | undefined {
  return (opts.blockFeatures ?? true) ? (s) => kindSums(s, table) : undefined;
}

function outputShape(s: ResolvedModelSpec): number[] {
  return costOfResolved(s).outputShape;
}

function spread<T>(a: readonly T[], n: number): T[] {
  if (a.length <= n) return [...a];
  return Array.from({ length: n }, (_, i) => a[Math.floor((i * a.length) / n)]!);
}
