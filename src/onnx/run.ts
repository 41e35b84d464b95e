import type { OnnxSession } from '../runtime/index.ts';

/**
 * Samples in distillery's layout (NHWC images, sample-major) as the exported model's input:
 * NCHW for images, unchanged for vectors.
 *
 * @example
 * const x = toOnnxLayout(batch, [28, 28, 1]); // C = 1: the same values
 */
export function toOnnxLayout(x: Float32Array, sampleShape: readonly number[]): Float32Array {
  if (sampleShape.length !== 3 || sampleShape[2] === 1) return x;
  const [h, w, c] = sampleShape as [number, number, number];
  const hw = h * w;
  const d = hw * c;
  const n = x.length / d;
  const out = new Float32Array(x.length);
  for (let s = 0; s < n; s++) {
    const base = s * d;
    for (let p = 0; p < hw; p++) for (let ch = 0; ch < c; ch++) out[base + ch * hw + p] = x[base + p * c + ch]!;
  }
  return out;
}

/** The ONNX input dims of `n` samples of `sampleShape` (NHWC in distillery). */
export function onnxDims(n: number, sampleShape: readonly number[]): number[] {
  return sampleShape.length === 3 ? [n, sampleShape[2]!, sampleShape[0]!, sampleShape[1]!] : [n, ...sampleShape];
}

/** Options of {@link runOnnxBatches}. */
export interface RunBatchesOptions {
  /** Samples per run; default 500. */
  batchSize?: number;
  /** Graph outputs to fetch; default the session's outputs. */
  outputs?: readonly string[];
}

/**
 * Runs a session over many samples in batches and hands each batch's outputs to `onBatch`
 * (so callers can reduce them without keeping them all).
 *
 * @example
 * await runOnnxBatches(s, test.x, test.shape, (out, start) => logits.set(out.logits.data, start * 10));
 */
export async function runOnnxBatches(
  session: OnnxSession,
  x: Float32Array,
  sampleShape: readonly number[],
  onBatch: (outputs: Record<string, { data: Float32Array; dims: readonly number[] }>, start: number, count: number) => void,
  opts: RunBatchesOptions = {},
): Promise<void> {
  const d = sampleShape.reduce((a, b) => a * b, 1);
  const n = x.length / d;
  const bs = opts.batchSize ?? 500;
  const input = session.inputs[0]!.name;
  const ids = session.inputs[0]!.type === 'int32';
  for (let start = 0; start < n; start += bs) {
    const count = Math.min(bs, n - start);
    const slice = x.subarray(start * d, (start + count) * d);
    // a text model takes int32 token ids (the data holds them as whole float32 numbers)
    const data = ids ? Int32Array.from(slice) : toOnnxLayout(slice, sampleShape);
    const out = await session.run({ [input]: { data, dims: onnxDims(count, sampleShape) } }, opts.outputs);
    onBatch(out, start, count);
  }
}

/**
 * The logits of every sample (`[n, classes]`, row-major) from a single-output session.
 *
 * @example
 * const logits = await onnxLogits(session, test.x, test.shape);
 */
export async function onnxLogits(session: OnnxSession, x: Float32Array, sampleShape: readonly number[], batchSize = 500): Promise<Float32Array> {
  const parts: Float32Array[] = [];
  const name = session.outputs[0]!.name;
  await runOnnxBatches(session, x, sampleShape, (out) => parts.push(out[name]!.data.slice()), { batchSize, outputs: [name] });
  return concatF32(parts);
}

/**
 * The parts laid end to end in one array (batched outputs back into one matrix).
 *
 * @example
 * concatF32([new Float32Array([1, 2]), new Float32Array([3])]); // Float32Array [1, 2, 3]
 */
export function concatF32(parts: readonly Float32Array[]): Float32Array {
  const all = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    all.set(p, o);
    o += p.length;
  }
  return all;
}

/**
 * Index of the largest value of each row of a `[n, k]` matrix.
 *
 * @example
 * argmaxRows(logits, 10)[0]; // the predicted class of the first sample
 */
export function argmaxRows(m: Float32Array, k: number): Int32Array {
  const n = m.length / k;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (m[i * k + j]! > m[i * k + best]!) best = j;
    out[i] = best;
  }
  return out;
}
