import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { DistilleryError } from '../core/errors.ts';
import { engineInfo } from '../engine/index.ts';
import { exportOnnx } from '../onnx/index.ts';
import { openOnnx } from '../runtime/index.ts';
import { openBrowser, webModelOf } from '../runtime/browser.ts';

/** The runtimes a candidate's latency can be measured on (`browser`: TF.js wasm inside Chromium). */
export const LATENCY_RUNTIMES = ['tfjs-wasm', 'onnx', 'browser'] as const;
/** One of {@link LATENCY_RUNTIMES}. */
export type LatencyRuntime = (typeof LATENCY_RUNTIMES)[number];

/** How to time a model. */
export interface LatencyOptions {
  runtime: LatencyRuntime;
  /** onnxruntime intra-op threads (default: every core); browser: wasm threads in the page (default 1). tfjs-wasm uses the engine's threads. */
  threads?: number | undefined;
  /** Timed runs; the median is reported (default 20). */
  runs?: number | undefined;
  /** Untimed runs first (default 3): the first calls compile kernels and allocate. */
  warmup?: number | undefined;
  /** onnx only: time this ONNX export (e.g. the int8 one from {@link exportCandidate}) instead of exporting fp32 now. */
  onnx?: Uint8Array | undefined;
}

/** Precisions a candidate can be exported in for its size and onnx latency. */
export const QUANTIZE_PRECISIONS = ['int8', 'fp16'] as const;
/** One of {@link QUANTIZE_PRECISIONS}, or fp32. */
export type CandidatePrecision = 'fp32' | (typeof QUANTIZE_PRECISIONS)[number];

/** Samples in the model's input layout (normalised as in training) that set int8 activation ranges. */
export interface CalibrationSamples {
  x: Float32Array;
  shape: readonly number[];
  limit?: number;
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
 * back, so the work is really done) on the wasm engine, which must be the one running; `browser`
 * times the same in headless Chromium (TF.js wasm, timed inside the page); `onnx`
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
  // a text model reads int32 token ids: a text that fills the whole length (no padding), every
  // id 1 ([UNK], in every vocabulary: a lookup costs the same for any id)
  const tokens = model.inputs[0]!.dtype === 'int32' ? new Int32Array(x.length).fill(1) : undefined;
  const times: number[] = [];
  if (opts.runtime === 'tfjs-wasm') {
    const backend = engineInfo()?.backend ?? tf.getBackend();
    if (backend !== 'wasm') {
      throw new DistilleryError('SEARCH_RUNTIME_UNAVAILABLE', `latency.runtime tfjs-wasm: the engine running is ${backend}, not wasm`, 'run the search with --backend wasm (or auto), or measure with latency.runtime: onnx', 'latency.runtime');
    }
    const input = tokens ? tf.tensor(tokens, [1, ...inputShapeOf(model, sampleShape)], 'int32') : tf.tensor(x, [1, ...inputShapeOf(model, sampleShape)], 'float32');
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
  if (opts.runtime === 'browser') {
    // One Chromium per candidate (about a second to start): a study's trials may run in
    // separate worker processes, and a browser left open would outlive them.
    const session = await openBrowser({ threads: opts.threads ?? 1 });
    try {
      const id = await session.load(await webModelOf(model));
      const key = await session.prepare(id, 1, 1, x);
      const { times } = await session.time(key, id, { warmup, maxWarmup: warmup, iterations: runs, tolerance: 0.05 });
      return { runtime: 'browser', medianMs: median(times), runs };
    } finally {
      await session.close();
    }
  }
  const bytes = opts.onnx ?? (await exportCandidate(model, 'fp32'));
  const session = await openOnnx('(candidate).onnx', { bytes, ...(opts.threads ? { threads: opts.threads } : {}) });
  try {
    const dims = sampleShape.length === 3 ? [1, sampleShape[2]!, sampleShape[0]!, sampleShape[1]!] : [1, x.length];
    const name = session.inputs[0]!.name;
    // The pixel values do not change the timing; their layout need not match NCHW here.
    for (let i = 0; i < warmup + runs; i++) {
      const t0 = performance.now();
      await session.run({ [name]: { data: tokens ?? x, dims } });
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

/**
 * A candidate as ONNX bytes, with distillery's exporter: fp32, fp16 weights, or int8 (QDQ,
 * per-channel weights, activation ranges calibrated on `calibration`, which int8 requires).
 *
 * @example
 * const int8 = await exportCandidate(model, 'int8', { x: train.x.subarray(0, 512 * 784), shape: [28, 28, 1], limit: 512 });
 */
export async function exportCandidate(model: LayersModel, precision: CandidatePrecision, calibration?: CalibrationSamples): Promise<Uint8Array> {
  return exportOnnx(model, { precision, ...(calibration ? { calibration } : {}) });
}
