import { readFileSync } from 'node:fs';
import { DistilleryError } from '../../core/errors.ts';
import { resolveSpec, type ModelSpec, type ResolvedModelSpec } from '../index.ts';
import { blockInstances, features, type BlockInstance } from './blocks.ts';
import { predictKernelMs, type KernelModel } from './kernel-fit.ts';
import { kernelFeatureNames } from './kernels.ts';
import { ridge } from './linalg.ts';

export { ridge };

/** One profiled block: its latency at batch 1 beyond the cost of an empty model, and its features. */
export interface TableEntry {
  type: string;
  ms: number;
  macs: number;
  /** Input + output activation elements. */
  elems: number;
  params: number;
}

/** Per-kind linear model `ms = c[0] + c[1]·MACs + c[2]·elems + c[3]·params`, for blocks not in the table. */
export interface KindFit {
  coef: [number, number, number, number];
  /** Table entries it was fitted on. */
  n: number;
}

/**
 * The table format written now. 2: timings of models as loaded from their saved files (version
 * 1 timed them as built in memory, which on TF.js runs other kernels than `bench` times).
 */
export const LATENCY_TABLE_VERSION = 2;

/** A device's latency lookup table, as `profile-device` writes it (JSON). */
export interface LatencyTable {
  version: typeof LATENCY_TABLE_VERSION;
  runtime: string;
  threads: number;
  batch: 1;
  device: { cpus: number; cpuModel: string; platform: string };
  createdAt: string;
  entries: Record<string, TableEntry>;
  /** Per block type, plus `*` over all entries. */
  fits: Record<string, KindFit>;
  /** Latency of an empty model (one linear activation) per shape `HxWxC`: a run's fixed cost plus reading that much output back. */
  emptyMs: Record<string, number>;
  /** `[a, b]`: the line `a + b · elements` through {@link LatencyTable.emptyMs}. */
  emptyFit: [number, number];
  /**
   * A model's latency ≈ `scale · Σ kindScales[kind] · block + emptyMs[output shape] + overheadMs`,
   * fitted on whole calibration models.
   */
  scale: number;
  /**
   * Per block type: how much of its lone latency it costs inside a model (below 1 where the
   * runtime fuses it into its neighbour, e.g. a BN after a conv in ONNX). 1 for types absent.
   */
  kindScales: Record<string, number>;
  overheadMs: number;
  /**
   * The kernel latency model (fused kernels as the runtime runs them, fitted on whole models):
   * when present, predictions come from it and the block entries only explain them.
   */
  kernels?: KernelModel;
  /**
   * Models timed with every later measurement against this table (the calibration models) and
   * their latencies when it was profiled: a check on another day, on a machine running faster
   * or slower as a whole, is put on the profile's scale by them (see `anchorScale`).
   */
  anchors?: { specs: ResolvedModelSpec[]; ms: number[] };
}

/** A prediction, block by block. */
export interface Prediction {
  ms: number;
  blocks: { key: string; ms: number; source: 'table' | 'fit' }[];
  /** Blocks not in the table (estimated by the per-kind fit). */
  missing: number;
}

/**
 * Predicted batch-1 latency of a model on the table's device: from the table's kernel model
 * when it has one (see `kernelsOf`, `fitKernelModel`); otherwise the table's entry for each block
 * at its input shape (the kind's linear fit in MACs / elements / params where the table has no
 * entry), each times its kind's scale, summed, then `scale · sum + emptyMs[output shape] + overheadMs`.
 *
 * @example
 * const table = readLatencyTable('tables/laptop-wasm.json');
 * predictLatency({ input: [28, 28, 1], blocks: [...] }, table).ms; // 0.84
 */
export function predictLatency(spec: ModelSpec | ResolvedModelSpec, table: LatencyTable): Prediction {
  const resolved = resolveSpec(spec as ModelSpec);
  const instances = blockInstances(resolved);
  const blocks = instances.map((b) => {
    const e = table.entries[b.key];
    return e ? { key: b.key, ms: e.ms, source: 'table' as const } : { key: b.key, ms: fitted(b, table), source: 'fit' as const };
  });
  const missing = blocks.filter((b) => b.source === 'fit').length;
  if (table.kernels) return { ms: Math.max(1e-6, predictKernelMs(resolved, table.kernels, table.kernels.blockKinds ? kindSums(resolved, table) : undefined)), blocks, missing };
  return { ms: predictBlockSum(resolved, table), blocks, missing };
}

/**
 * The block-sum prediction (the table's entries, scaled per kind, plus the empty model and the
 * overhead), whatever else the table holds: the baseline the kernel model is compared with.
 *
 * @example
 * predictBlockSum(spec, table); // 0.84
 */
export function predictBlockSum(spec: ModelSpec | ResolvedModelSpec, table: LatencyTable): number {
  const resolved = resolveSpec(spec as ModelSpec);
  const instances = blockInstances(resolved);
  const blocks = instances.map((b) => table.entries[b.key]?.ms ?? fitted(b, table));
  const sum = blocks.reduce((s, ms, i) => s + (table.kindScales?.[instances[i]!.block.type] ?? 1) * ms, 0);
  return table.scale * sum + emptyOf(instances.at(-1)?.outShape ?? resolved.input, table) + table.overheadMs;
}

/**
 * The fixed cost of one run that reads back an output of this shape, from the table's line
 * through its empty models.
 *
 * @example
 * emptyOf([10], table); // 0.011
 */
export function emptyOf(shape: readonly number[], table: Pick<LatencyTable, 'emptyFit'>): number {
  const [a, b] = table.emptyFit;
  return a + b * shape.reduce((x, d) => x * d, 1);
}

/**
 * The line `a + b · elements` through empty-model latencies keyed by shape (`28x28x8`), with
 * the slope kept at or above 0 (reading more back never costs less).
 *
 * @example
 * fitEmpty({ '10': 0.011, '28x28x8': 0.02 }); // [0.0109..., 1.4e-6...]
 */
export function fitEmpty(emptyMs: Record<string, number>): [number, number] {
  const pts = Object.entries(emptyMs).map(([k, v]) => [k.split('x').reduce((a, d) => a * Number(d), 1), v] as const);
  if (pts.length === 0) return [0, 0];
  const scale = Math.max(...pts.map((p) => p[0]));
  const [a, b] = pts.length === 1 ? [pts[0]![1], 0] : ridge(pts.map((p) => [1, p[0] / scale]), pts.map((p) => p[1]), 0);
  if (b! < 0) return [pts.reduce((s, p) => s + p[1], 0) / pts.length, 0];
  return [a!, b! / scale];
}

function fitted(b: BlockInstance, table: LatencyTable): number {
  const f = table.fits[b.block.type] ?? table.fits['*'];
  if (!f) return 0;
  const [m, e, p] = features(b);
  return Math.max(0, f.coef[0] + f.coef[1] * m + f.coef[2] * e + f.coef[3] * p);
}

/**
 * Least squares of `ms` on [1, MACs, elems, params] per block type (and `*` over all), with a
 * small ridge so that a kind profiled at one shape still gets a usable (mostly constant) fit.
 *
 * @example
 * fitKinds(table.entries).conv2d.coef; // [0.01, 2.1e-7, 1.4e-6, 0]
 */
export function fitKinds(entries: Record<string, TableEntry>): Record<string, KindFit> {
  const byType = new Map<string, TableEntry[]>();
  for (const e of Object.values(entries)) byType.set(e.type, [...(byType.get(e.type) ?? []), e]);
  const out: Record<string, KindFit> = {};
  for (const [t, es] of byType) out[t] = fitOne(es);
  const all = Object.values(entries);
  if (all.length > 0) out['*'] = fitOne(all);
  return out;
}

function fitOne(es: readonly TableEntry[]): KindFit {
  // Scale features to unit magnitude so one ridge strength suits MACs (1e6) and params (1e3).
  const rows = es.map((e) => [1, e.macs, e.elems, e.params]);
  const scales = [0, 1, 2, 3].map((j) => Math.max(1e-12, ...rows.map((r) => Math.abs(r[j]!))));
  const x = rows.map((r) => r.map((v, j) => v / scales[j]!));
  const y = es.map((e) => e.ms);
  const w = ridge(x, y, 1e-3);
  return { coef: w.map((v, j) => v / scales[j]!) as KindFit['coef'], n: es.length };
}

/**
 * `scale` and `overheadMs` of `measured ≈ scale · Σ blocks + base + overhead` (`base`: each
 * model's known fixed cost, default 0), by least squares on
 * relative errors (weights 1/measured²: the bar is a percentage, and plain least squares lets
 * the largest model decide the overhead of the small ones). With fewer than 3 models, or sums
 * all alike, scale is 1 and the overhead the mean relative-weighted residual.
 *
 * @example
 * fitOverhead([1, 2, 3], [1.5, 2.5, 3.5]); // { scale: 1, overheadMs: 0.5 }
 */
export function fitOverhead(sums: readonly number[], measured: readonly number[], base: readonly number[] = []): { scale: number; overheadMs: number } {
  const n = sums.length;
  if (n === 0) return { scale: 1, overheadMs: 0 };
  const y = measured.map((m, i) => m - (base[i] ?? 0));
  const w = measured.map((m) => 1 / Math.max(1e-9, m) ** 2);
  const sw = w.reduce((a, b) => a + b, 0);
  const mx = sums.reduce((a, s, i) => a + w[i]! * s, 0) / sw;
  const my = y.reduce((a, v, i) => a + w[i]! * v, 0) / sw;
  const sxx = sums.reduce((a, s, i) => a + w[i]! * (s - mx) ** 2, 0);
  const flat = { scale: 1, overheadMs: my - mx };
  if (n < 3 || sxx < 1e-12 * sw * Math.max(1, mx * mx)) return flat;
  const scale = sums.reduce((a, s, i) => a + w[i]! * (s - mx) * (y[i]! - my), 0) / sxx;
  // Noise can tilt a fit over a narrow range of sums; a non-positive scale predicts nothing.
  return scale > 0 ? { scale, overheadMs: my - scale * mx } : flat;
}

/**
 * Per-kind scales and the overhead of `measured ≈ Σ_k scale_k · S_k + base + overhead`, where
 * `S_k` is a model's summed table latency of blocks of kind k. Least squares on relative
 * errors, with a ridge pulling each scale towards 1 (a kind seen in few calibration models
 * keeps its lone-block latency) and scales kept in [0.05, 3].
 *
 * @example
 * fitKindScales([{ conv2d: 1, batchnorm: 0.2 }, ...], measured, base); // { kindScales: { conv2d: 1.1, batchnorm: 0.1 }, overheadMs: 0.01 }
 */
export function fitKindScales(sums: readonly Record<string, number>[], measured: readonly number[], base: readonly number[] = [], lambda = 0.05): { kindScales: Record<string, number>; overheadMs: number } {
  const kinds = [...new Set(sums.flatMap((s) => Object.keys(s)))].sort();
  if (sums.length === 0) return { kindScales: {}, overheadMs: 0 };
  // Rows divided by the measured latency: each model's error counts relatively.
  const x = sums.map((s, i) => [1, ...kinds.map((k) => s[k] ?? 0)].map((v) => v / measured[i]!));
  const y = sums.map((s, i) => (measured[i]! - (base[i] ?? 0) - kinds.reduce((a, k) => a + (s[k] ?? 0), 0)) / measured[i]!);
  const w = ridge(x, y, lambda);
  const kindScales = Object.fromEntries(kinds.map((k, j) => [k, Math.min(3, Math.max(0.05, 1 + w[j + 1]!))]));
  // Refit the overhead with the clamped scales: the mean relative-weighted residual.
  const r = sums.map((s, i) => measured[i]! - (base[i] ?? 0) - kinds.reduce((a, k) => a + kindScales[k]! * (s[k] ?? 0), 0));
  const wt = measured.map((m) => 1 / m ** 2);
  const overheadMs = r.reduce((a, v, i) => a + wt[i]! * v, 0) / wt.reduce((a, b) => a + b, 0);
  return { kindScales, overheadMs };
}

/**
 * A model's summed table latency per block kind (the entries, or the kind's fit where missing).
 *
 * @example
 * kindSums(spec, table); // { conv2d: 0.12, mbconv: 0.4, dense: 0.01 }
 */
export function kindSums(spec: ModelSpec | ResolvedModelSpec, table: LatencyTable): Record<string, number> {
  const resolved = resolveSpec(spec as ModelSpec);
  const out: Record<string, number> = {};
  for (const b of blockInstances(resolved)) out[b.block.type] = (out[b.block.type] ?? 0) + (table.entries[b.key]?.ms ?? fitted(b, table));
  return out;
}

/**
 * Reads a table written by `profile-device`. Throws `PREDICT_TABLE` naming the file when it is
 * not one.
 *
 * @example
 * const table = readLatencyTable('table.json');
 */
export function readLatencyTable(path: string): LatencyTable {
  let t: LatencyTable;
  try {
    t = JSON.parse(readFileSync(path, 'utf8')) as LatencyTable;
  } catch (e) {
    throw new DistilleryError('PREDICT_TABLE', `${path}: cannot read a latency table (${(e as Error).message.split('\n')[0]})`, 'write one with `distillery profile-device --runtime R --space SPACE --out table.json`', path);
  }
  if ((t as { version?: unknown } | undefined)?.version === 1) {
    throw new DistilleryError('PREDICT_TABLE', `${path}: a version 1 latency table, whose timings are of models as built in memory (on TF.js they run other kernels than the same model loaded from its files, as bench runs it)`, 'profile the device again with this version of `distillery profile-device`', path);
  }
  if (t?.version !== LATENCY_TABLE_VERSION || typeof t.entries !== 'object' || !Array.isArray(t.emptyFit) || typeof t.scale !== 'number' || typeof t.kindScales !== 'object' || typeof t.overheadMs !== 'number') {
    throw new DistilleryError('PREDICT_TABLE', `${path}: not a distillery latency table (version ${LATENCY_TABLE_VERSION} with entries, emptyFit, scale, kindScales, overheadMs)`, 'write one with `distillery profile-device`', path);
  }
  const expected = [...kernelFeatureNames(), ...(t.kernels?.blockKinds ?? []).map((k) => `block.${k}`)];
  if (t.kernels !== undefined && (!Array.isArray(t.kernels.coef) || JSON.stringify(t.kernels.features) !== JSON.stringify(expected))) {
    throw new DistilleryError('PREDICT_TABLE', `${path}: its kernel model has features [${String(t.kernels.features)}], this version predicts from [${kernelFeatureNames().join(', ')}]`, 'profile the device again with this version of `distillery profile-device`', path);
  }
  return t;
}
