import { existsSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type * as tfl from '@tensorflow/tfjs-layers';
import { DistilleryError } from '../../core/errors.ts';
import type { Reporter } from '../../core/events.ts';
import { engineInfo, initEngine } from '../../engine/index.ts';
import { costOfResolved, loadModel, specFromModel, type ModelCost, type ResolvedModelSpec } from '../../models/index.ts';
import { onnxBytesOf, onnxSpecOf } from './onnx-source.ts';
import { openBrowser, type BrowserOptions } from '../../runtime/browser.ts';
import { browserRunner, onnxRunner, runtimeName, tfjsRunner, type Runner, type RuntimeName } from './runners.ts';
import { latencyStats, timeRuns, warmUp, type LatencyStats, type TimingOptions } from './stats.ts';

/** Options of {@link bench}. */
export interface BenchOptions extends TimingOptions {
  /** `onnx` (onnxruntime-node), `tfjs-wasm` (TF.js on the wasm engine) or `browser` (TF.js wasm inside Chromium). */
  runtime: RuntimeName | string;
  /** Batch sizes, each timed on its own; default [1]. */
  batches?: readonly number[];
  /**
   * Threads of the runtime (wasm threads, onnxruntime intra-op threads); default 1 on tfjs-wasm
   * and browser (as `profile-device` times, so a table's predictions and bench agree), all cores
   * on onnx.
   */
  threads?: number;
  /** Seed of the random input. */
  seed?: number;
  /** For `browser`: which Chromium (a DevTools endpoint, or the binary to start). */
  browser?: Omit<BrowserOptions, 'threads'>;
  reporter?: Reporter;
}

/** What {@link bench} measured. The top-level latency fields are the first batch size's. */
export interface BenchResult {
  model: string;
  runtime: RuntimeName;
  /** Threads the runtime ran with (for tfjs-wasm, what the engine actually started). */
  threads: number;
  batches: LatencyStats[];
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  meanMs: number;
  throughput: number;
  /** From the spec in the model's metadata; absent for an ONNX file from elsewhere. */
  params?: number;
  macs?: number;
  bytes?: ModelCost['bytes'];
  /** Size of the file timed (ONNX) or of the weights (TF.js). */
  fileBytes?: number;
  notes: string[];
}

/**
 * Times a model: for each batch size, untimed runs (at least `warmup`, until steady and for at
 * least `warmupMs`; see {@link warmUp}) then `iterations` timed ones on
 * random input; reports p50/p95/p99 latency and throughput with the model's params, MACs and
 * bytes (from its spec). `model` is a model folder (`distillery train`/`distill` output), a
 * `tf.LayersModel`, or an `.onnx` file (onnx runtime only). For `onnx` a TF.js model is first
 * exported to fp32 ONNX in memory.
 *
 * Throws `BENCH_RUNTIME` for an unknown runtime, `BENCH_MODEL` for a path that is neither a
 * model folder nor an .onnx file, `BENCH_BATCH` for a bad batch size.
 *
 * @example
 * const r = await bench('runs/mlp/model', { runtime: 'onnx', batches: [1, 32], threads: 1 });
 * r.batches[1].p95Ms; r.throughput; r.macs;
 */
export async function bench(model: string | tfl.LayersModel, opts: BenchOptions): Promise<BenchResult> {
  const runtime = runtimeName(opts.runtime);
  const batches = [...(opts.batches ?? [1])];
  if (batches.length === 0 || batches.some((b) => !Number.isInteger(b) || b < 1)) {
    throw new DistilleryError('BENCH_BATCH', `batch sizes [${batches.join(', ')}] must be positive integers`, 'pass e.g. --batch 1,32', '--batch');
  }
  const name = modelName(model);
  const notes: string[] = [];
  const { runner, spec, fileBytes, threads, owned, close } = await open(model, runtime, opts.threads, notes, opts.browser);
  try {
    const stats: LatencyStats[] = [];
    for (const b of batches) {
      const s = await timeRunner(runner, b, opts);
      stats.push(s);
      opts.reporter?.({ event: 'info', message: `batch ${b}: p50 ${s.p50Ms.toFixed(3)} ms, p95 ${s.p95Ms.toFixed(3)} ms, ${Math.round(s.throughput)} samples/s`, batch: b });
    }
    const first = stats[0]!;
    const cost = spec ? costOfResolved(spec) : undefined;
    if (!cost) notes.push('no distillery spec in the model: params, MACs and bytes unknown');
    return {
      model: name,
      runtime,
      threads,
      batches: stats,
      p50Ms: first.p50Ms,
      p95Ms: first.p95Ms,
      p99Ms: first.p99Ms,
      meanMs: first.meanMs,
      throughput: first.throughput,
      ...(cost ? { params: cost.params, macs: cost.macs, bytes: cost.bytes } : {}),
      ...(fileBytes !== undefined ? { fileBytes } : {}),
      notes,
    };
  } finally {
    await runner.release();
    owned?.dispose();
    await close?.();
  }
}

/**
 * Times one prepared batch size of a runner and summarises it.
 *
 * @example
 * const s = await timeRunner(tfjsRunner(model), 1, { warmup: 5, iterations: 100 });
 */
export async function timeRunner(runner: Runner, batch: number, opts: TimingOptions & { seed?: number } = {}): Promise<LatencyStats> {
  const p = await runner.prepare(batch, opts.seed ?? 1);
  try {
    if (p.time) {
      const { times, warmup } = await p.time(opts);
      return { ...latencyStats(times, batch), warmupRuns: warmup };
    }
    const warmupRuns = await warmUp(() => p.run(), opts);
    return { ...latencyStats(await timeRuns(() => p.run(), { ...opts, warmup: 0, maxWarmup: 0, warmupMs: 0 }), batch), warmupRuns };
  } finally {
    await p.dispose();
  }
}

interface Opened {
  runner: Runner;
  spec: ResolvedModelSpec | undefined;
  fileBytes: number | undefined;
  threads: number;
  owned: tfl.LayersModel | undefined;
  close?: () => Promise<void>;
}

async function open(model: string | tfl.LayersModel, runtime: RuntimeName, threads: number | undefined, notes: string[], browser: BenchOptions['browser']): Promise<Opened> {
  if (typeof model === 'string' && !existsSync(model)) {
    throw new DistilleryError('BENCH_MODEL', `${model}: no such file or folder`, 'pass a model folder (with model.json) or an .onnx file', model);
  }
  if (typeof model === 'string' && statSync(model).isFile()) {
    if (!model.endsWith('.onnx')) {
      throw new DistilleryError('BENCH_MODEL', `${model}: not a model folder or an .onnx file`, 'pass the model folder that `distillery train` wrote, or an .onnx file', model);
    }
    if (runtime !== 'onnx') {
      throw new DistilleryError('BENCH_MODEL_RUNTIME', `${model}: an ONNX file runs on the onnx runtime only, not ${runtime}`, `pass --runtime onnx, or the TF.js model folder for ${runtime}`, '--runtime');
    }
    const bytes = new Uint8Array(readFileSync(model));
    const runner = await onnxRunner(bytes, model, threads);
    return { runner, spec: onnxSpecOf(bytes), fileBytes: bytes.length, threads: threads ?? defaultThreads(), owned: undefined };
  }
  if (runtime === 'tfjs-wasm') {
    const info = await initEngine({ backend: 'wasm', threads: threads ?? 1 });
    notes.push(...info.notes);
    const m = typeof model === 'string' ? await loadModel(model) : model;
    return { runner: tfjsRunner(m), spec: specOf(m), fileBytes: weightBytes(m), threads: info.threads, owned: typeof model === 'string' ? m : undefined };
  }
  if (runtime === 'browser') {
    // The model is loaded here only to be served to the page: any engine will do.
    if (!engineInfo()) await initEngine({ backend: 'wasm', threads: 1 });
    const m = typeof model === 'string' ? await loadModel(model) : model;
    try {
      const session = await openBrowser({ ...browser, threads: threads ?? 1 });
      notes.push(`browser: ${session.info.userAgent}; TF.js ${session.info.backend} with ${session.info.threads} thread(s)${session.info.isolated ? '' : '; the page is not cross-origin isolated, so its timer is coarse (100 µs)'}`);
      try {
        const runner = await browserRunner(m, session);
        return { runner, spec: specOf(m), fileBytes: weightBytes(m), threads: session.info.threads, owned: undefined, close: () => session.close() };
      } catch (e) {
        await session.close();
        throw e;
      }
    } finally {
      if (typeof model === 'string') m.dispose();
    }
  }
  // The TF.js model only feeds the exporter here: any engine will do, so keep the current one.
  if (!engineInfo()) await initEngine({ backend: 'wasm', threads: 1 });
  const m = typeof model === 'string' ? await loadModel(model) : model;
  try {
    const bytes = await onnxBytesOf(m);
    const runner = await onnxRunner(bytes, `${modelName(model)} (fp32 ONNX)`, threads);
    return { runner, spec: specOf(m), fileBytes: bytes.length, threads: threads ?? defaultThreads(), owned: undefined };
  } finally {
    if (typeof model === 'string') m.dispose();
  }
}

function modelName(model: string | tfl.LayersModel): string {
  return typeof model === 'string' ? model : model.name;
}

function specOf(m: tfl.LayersModel): ResolvedModelSpec | undefined {
  try {
    return specFromModel(m);
  } catch {
    return undefined;
  }
}

function weightBytes(m: tfl.LayersModel): number {
  return m.weights.reduce((s, w) => s + 4 * w.shape.reduce((a: number, d) => a * (d ?? 1), 1), 0);
}

function defaultThreads(): number {
  // what openOnnx uses when no thread count is given
  return availableParallelism();
}
