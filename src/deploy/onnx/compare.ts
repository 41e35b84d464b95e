import { assert } from '../../core/errors.ts';
import { Rng } from '../../core/rng.ts';
import { openOnnx, type OnnxSession } from '../../runtime/index.ts';
import { latencyStats, timeRuns } from '../bench/stats.ts';
import { argmaxRows, onnxDims, onnxLogits, toOnnxLayout, type OnnxPrecision } from '../../onnx/index.ts';

/** One exported variant to compare: its precision and bytes. */
export interface OnnxVariant {
  precision: OnnxPrecision;
  bytes: Uint8Array;
}

/** Labelled samples in distillery's layout, normalised as the model expects. */
export interface LabelledSamples {
  x: Float32Array;
  y: Int32Array;
  shape: readonly number[];
  /** For text: the raw texts whose token ids `x` holds (what the raw-text parity check reads). */
  texts?: readonly string[];
}

/** Latency of one batch size in onnxruntime-node. */
export interface VariantLatency {
  batch: number;
  p50Ms: number;
  p95Ms: number;
  /** Samples per second at the mean latency. */
  throughput: number;
}

/** What {@link compareVariants} reports per variant. */
export interface VariantReport {
  precision: OnnxPrecision;
  bytes: number;
  /** fp32 bytes / these bytes (1 for fp32 itself). */
  sizeRatio: number;
  /** On `test`, when given. */
  accuracy?: number;
  errors?: number;
  samples?: number;
  /** fp32 accuracy minus this one, in percentage points (positive = lost). */
  accuracyDropPoints?: number;
  /** Share of samples whose predicted class equals fp32's. */
  agreement?: number;
  latency: VariantLatency[];
  /** p50 latency of fp32 / of this variant at the first batch size (> 1 = faster). */
  speedup: number;
}

/** Options of {@link compareVariants}. */
export interface CompareOptions {
  /** Scores accuracy on these samples (the whole MNIST test set in the CLI). */
  test?: LabelledSamples;
  /** Batch sizes to time; default [1, 32]. */
  batches?: readonly number[];
  /** onnxruntime intra-op threads; default 1, the steadiest figure on a shared machine and what a phone core sees. */
  threads?: number;
  /** Timed runs per batch size after 10 warm-up runs; default 100. */
  iterations?: number;
}

async function timeSession(s: OnnxSession, shape: readonly number[], batch: number, iterations: number, source?: Float32Array): Promise<VariantLatency> {
  const d = shape.reduce((a, b) => a * b, 1);
  let x: Float32Array;
  if (source && source.length >= batch * d) x = toOnnxLayout(source.subarray(0, batch * d), shape);
  else {
    const rng = new Rng(batch);
    x = Float32Array.from({ length: batch * d }, () => rng.next());
  }
  // a text model takes int32 token ids (the data holds them as whole float32 numbers)
  const data = s.inputs[0]!.type === 'int32' ? Int32Array.from(source && source.length >= batch * d ? x : new Float32Array(x.length).fill(1)) : x;
  const feeds = { [s.inputs[0]!.name]: { data, dims: onnxDims(batch, shape) } };
  const st = latencyStats(await timeRuns(() => s.run(feeds), { warmup: 10, iterations }), batch);
  return { batch, p50Ms: st.p50Ms, p95Ms: st.p95Ms, throughput: st.throughput };
}

/**
 * Compares exported variants of one model in onnxruntime-node: size, accuracy on `test` (and
 * its drop against fp32, and how often the predicted class agrees with fp32's) and p50/p95
 * latency per batch size. The fp32 variant is the reference and must be in the list.
 *
 * @example
 * const rows = await compareVariants([{ precision: 'fp32', bytes: fp32 }, { precision: 'int8', bytes: int8 }], [28, 28, 1], { test });
 * rows[1].sizeRatio; // ~3.8 for an MNIST MLP
 */
export async function compareVariants(variants: readonly OnnxVariant[], sampleShape: readonly number[], opts: CompareOptions = {}): Promise<VariantReport[]> {
  const ref = variants.find((v) => v.precision === 'fp32');
  assert(ref, () => 'compareVariants needs the fp32 variant as its reference');
  const batches = opts.batches ?? [1, 32];
  const iterations = opts.iterations ?? 100;
  const rows: VariantReport[] = [];
  let refPred: Int32Array | undefined;
  // fp32 first, so the others can be measured against it
  const ordered = [ref, ...variants.filter((v) => v !== ref)];
  for (const v of ordered) {
    const s = await openOnnx(`model.${v.precision}.onnx`, { bytes: v.bytes, threads: opts.threads ?? 1 });
    try {
      const row: VariantReport = { precision: v.precision, bytes: v.bytes.length, sizeRatio: ref.bytes.length / v.bytes.length, latency: [], speedup: 1 };
      if (opts.test) {
        const k = s.outputs[0]!.shape[1];
        const logits = await onnxLogits(s, opts.test.x, opts.test.shape);
        const pred = argmaxRows(logits, typeof k === 'number' ? k : logits.length / opts.test.y.length);
        let errors = 0;
        let same = 0;
        refPred ??= pred;
        for (let i = 0; i < pred.length; i++) {
          if (pred[i] !== opts.test.y[i]) errors++;
          if (pred[i] === refPred[i]) same++;
        }
        row.samples = pred.length;
        row.errors = errors;
        row.accuracy = 1 - errors / pred.length;
        row.agreement = same / pred.length;
        row.accuracyDropPoints = 100 * ((rows[0]?.accuracy ?? row.accuracy) - row.accuracy);
      }
      for (const b of batches) row.latency.push(await timeSession(s, sampleShape, b, iterations, opts.test?.x));
      row.speedup = (rows[0]?.latency[0]?.p50Ms ?? row.latency[0]!.p50Ms) / row.latency[0]!.p50Ms;
      rows.push(row);
    } finally {
      await s.release();
    }
  }
  return rows;
}

/**
 * {@link compareVariants}'s rows as table cells (header first), for the CLI.
 *
 * @example
 * process.stdout.write(table(variantRows(rows)));
 */
export function variantRows(rows: readonly VariantReport[]): string[][] {
  const batches = rows[0]?.latency.map((l) => l.batch) ?? [];
  const out = [['variant', 'size', 'vs fp32', 'accuracy', 'drop', 'agrees', ...batches.map((b) => `p50 b${b}`), `speedup b${batches[0] ?? 1}`]];
  for (const r of rows) {
    out.push([
      r.precision,
      r.bytes >= 1e6 ? `${(r.bytes / 1e6).toFixed(2)} MB` : `${(r.bytes / 1e3).toFixed(1)} KB`,
      r.precision === 'fp32' ? '-' : r.sizeRatio >= 1 ? `${r.sizeRatio.toFixed(2)}x smaller` : `${(1 / r.sizeRatio).toFixed(2)}x larger`,
      r.accuracy !== undefined ? `${(100 * r.accuracy).toFixed(2)}%` : '-',
      r.accuracyDropPoints !== undefined ? `${r.accuracyDropPoints.toFixed(2)} pt` : '-',
      r.agreement !== undefined ? `${(100 * r.agreement).toFixed(2)}%` : '-',
      ...r.latency.map((l) => `${l.p50Ms.toFixed(3)} ms`),
      `${r.speedup.toFixed(2)}x`,
    ]);
  }
  return out;
}
