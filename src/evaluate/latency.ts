import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { DistilleryError } from '../core/errors.ts';
import { engineInfo } from '../engine/index.ts';
import { openOnnx } from '../runtime/index.ts';

/** The runtimes a candidate's latency can be measured on. */
export const LATENCY_RUNTIMES = ['tfjs-wasm', 'onnx'] as const;
/** One of {@link LATENCY_RUNTIMES}. */
export type LatencyRuntime = (typeof LATENCY_RUNTIMES)[number];

/** How to time a model. */
export interface LatencyOptions {
  runtime: LatencyRuntime;
  /** onnxruntime intra-op threads (default: every core). tfjs-wasm uses the engine's threads. */
  threads?: number | undefined;
  /** Timed runs; the median is reported (default 20). */
  runs?: number | undefined;
  /** Untimed runs first (default 3): the first calls compile kernels and allocate. */
  warmup?: number | undefined;
}

/** The median of the timed runs at batch 1, in milliseconds, and where it was measured. */
export interface LatencyResult {
  runtime: LatencyRuntime;
  medianMs: number;
  runs: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Measures a model's latency at batch 1: `tfjs-wasm` times `model.predict` (reading the output
 * back, so the work is really done) on the wasm engine, which must be the one running; `onnx`
 * exports the model with distillery's ONNX exporter and times onnxruntime-node. Warm-up runs,
 * then the median of `runs`. Throws `SEARCH_RUNTIME_UNAVAILABLE` when the runtime cannot be used here.
 *
 * @example
 * const { medianMs } = await measureLatency(model, [28, 28, 1], { runtime: 'tfjs-wasm', runs: 20 });
 */
export async function measureLatency(model: LayersModel, sampleShape: readonly number[], opts: LatencyOptions): Promise<LatencyResult> {
  const runs = Math.max(1, opts.runs ?? 20);
  const warmup = Math.max(0, opts.warmup ?? 3);
  const x = new Float32Array(sampleShape.reduce((a, b) => a * b, 1)).map((_, i) => ((i * 7919) % 255) / 255);
  const times: number[] = [];
  if (opts.runtime === 'tfjs-wasm') {
    const backend = engineInfo()?.backend ?? tf.getBackend();
    if (backend !== 'wasm') {
      throw new DistilleryError('SEARCH_RUNTIME_UNAVAILABLE', `latency.runtime tfjs-wasm: the engine running is ${backend}, not wasm`, 'run the search with --backend wasm (or auto), or measure with latency.runtime: onnx', 'latency.runtime');
    }
    const input = tf.tensor(x, [1, ...inputShapeOf(model, sampleShape)], 'float32');
    try {
      for (let i = 0; i < warmup + runs; i++) {
        const t0 = performance.now();
        const y = model.predict(input) as tf.Tensor;
        y.dataSync();
        const dt = performance.now() - t0;
        y.dispose();
        if (i >= warmup) times.push(dt);
      }
    } finally {
      input.dispose();
    }
    return { runtime: 'tfjs-wasm', medianMs: median(times), runs };
  }
  const bytes = await onnxBytes(model);
  const session = await openOnnx('(candidate).onnx', { bytes, ...(opts.threads ? { threads: opts.threads } : {}) });
  try {
    const dims = sampleShape.length === 3 ? [1, sampleShape[2]!, sampleShape[0]!, sampleShape[1]!] : [1, x.length];
    const name = session.inputs[0]!.name;
    // The pixel values do not change the timing; their layout need not match NCHW here.
    for (let i = 0; i < warmup + runs; i++) {
      const t0 = performance.now();
      await session.run({ [name]: { data: x, dims } });
      const dt = performance.now() - t0;
      if (i >= warmup) times.push(dt);
    }
  } finally {
    await session.release();
  }
  return { runtime: 'onnx', medianMs: median(times), runs };
}

function inputShapeOf(model: LayersModel, sampleShape: readonly number[]): number[] {
  const s = model.inputs[0]!.shape.slice(1);
  return s.every((d) => typeof d === 'number') ? (s as number[]) : [...sampleShape];
}

// The exporter lives downstream, in deploy/: loaded on demand (a literal specifier, so the build
// rewrites it) so that evaluate/ does not load it unless a study measures on onnx.
async function onnxBytes(model: LayersModel): Promise<Uint8Array> {
  let exportOnnx: ((m: LayersModel) => Promise<Uint8Array>) | undefined;
  try {
    exportOnnx = (await import('../deploy/onnx/index.ts')).exportOnnx;
  } catch (e) {
    throw new DistilleryError('SEARCH_RUNTIME_UNAVAILABLE', `latency.runtime onnx: the ONNX exporter did not load (${(e as Error).message.split('\n')[0]})`, 'measure with latency.runtime: tfjs-wasm', 'latency.runtime');
  }
  if (typeof exportOnnx !== 'function') {
    throw new DistilleryError('SEARCH_RUNTIME_UNAVAILABLE', 'latency.runtime onnx: this build has no ONNX exporter', 'measure with latency.runtime: tfjs-wasm', 'latency.runtime');
  }
  return exportOnnx(model);
}
