import type * as tfl from '@tensorflow/tfjs-layers';
import type { ResolvedModelSpec } from '../../models/index.ts';
import { measureLatency, type ProfileOptions } from './profile.ts';
import { predictLatency, type LatencyTable } from '../../models/latency/index.ts';

/** A model to check the predictor on: its spec, and the built model when there is one (else one is built). */
export interface NamedModel {
  name: string;
  spec: ResolvedModelSpec;
  model?: tfl.LayersModel;
}

/** Predicted against measured latency of one model. */
export interface PredictionRow {
  name: string;
  predictedMs: number;
  measuredMs: number;
  /** `100 · (predicted − measured) / measured`. */
  errorPct: number;
  /** Blocks the table lacked (estimated by its per-kind fit). */
  missing: number;
}

/** The error distribution over a set of models (nn-Meter's bar: ≥ 90% within ±10%). */
export interface ErrorSummary {
  n: number;
  /** Fraction of models whose |error| ≤ 10%. */
  within10: number;
  /** Fraction within ±5%. */
  within5: number;
  meanAbsPct: number;
  medianAbsPct: number;
  p90AbsPct: number;
  maxAbsPct: number;
}

/**
 * Summarises per-model prediction errors.
 *
 * @example
 * summarizeErrors([{ errorPct: 4 }, { errorPct: -12 }]).within10; // 0.5
 */
export function summarizeErrors(rows: readonly Pick<PredictionRow, 'errorPct'>[]): ErrorSummary {
  const abs = rows.map((r) => Math.abs(r.errorPct)).sort((a, b) => a - b);
  const n = abs.length;
  const at = (q: number): number => (n === 0 ? NaN : abs[Math.min(n - 1, Math.ceil(q * n) - 1)]!);
  const half = n % 2 === 1 ? abs[(n - 1) / 2]! : (abs[n / 2 - 1]! + abs[n / 2]!) / 2;
  return {
    n,
    within10: n === 0 ? NaN : abs.filter((a) => a <= 10).length / n,
    within5: n === 0 ? NaN : abs.filter((a) => a <= 5).length / n,
    meanAbsPct: n === 0 ? NaN : abs.reduce((a, b) => a + b, 0) / n,
    medianAbsPct: n === 0 ? NaN : half,
    p90AbsPct: at(0.9),
    maxAbsPct: n === 0 ? NaN : abs[n - 1]!,
  };
}

/**
 * Predicts each model's batch-1 latency from the table and measures it on the table's runtime
 * and thread count (see `measureModels`: interleaved rounds, each model's fastest, on the
 * table's scale through its anchors), twice, one full pass after the other: the error is
 * against the second pass, and `noise` is the first pass against the second, the floor under
 * any predictor's error on this machine now.
 *
 * @example
 * const { rows, summary, noise } = await comparePredictions(models, readLatencyTable('table.json'));
 * summary.within10; // 0.92
 * noise.within10; // 0.95
 */
export async function comparePredictions(
  models: readonly NamedModel[],
  table: LatencyTable,
  opts: Omit<ProfileOptions, 'runtime' | 'threads'> = {},
): Promise<{ rows: PredictionRow[]; summary: ErrorSummary; noise: ErrorSummary }> {
  const list = models.map((m) => m.model ?? m.spec);
  // the table's anchors time along: both passes on the profile's scale, whatever the machine
  // does today (for a handful of models, a quick look, they would double the work)
  const o = { ...opts, runtime: table.runtime, threads: table.threads, ...(table.anchors && models.length >= 8 ? { anchors: table.anchors } : {}) };
  const first = await measureLatency(list, o);
  const measured = await measureLatency(list, o);
  const rows = models.map((m, i): PredictionRow => {
    const p = predictLatency(m.spec, table);
    const ms = measured[i]!;
    return { name: m.name, predictedMs: p.ms, measuredMs: ms, errorPct: (100 * (p.ms - ms)) / ms, missing: p.missing };
  });
  const noise = summarizeErrors(first.map((f, i) => ({ errorPct: (100 * (f - measured[i]!)) / measured[i]! })));
  return { rows, summary: summarizeErrors(rows), noise };
}
