import { DistilleryError } from '../core/errors.ts';
import type { ModelSpec } from '../models/spec.ts';
import { modelCost } from '../models/cost.ts';
import type { Candidate, Strategy, TrialResult } from './types.ts';

/**
 * Metrics a limit may name; those in {@link SPEC_METRICS} are known before training, and so is
 * `predictedLatencyMs` (a device's latency table applied to the spec) when the study has a table.
 */
export const METRICS = ['params', 'macs', 'bytesFp32', 'bytesFp16', 'bytesInt8', 'latencyMs', 'predictedLatencyMs', 'accuracy'] as const;
/** One of {@link METRICS}. */
export type MetricName = (typeof METRICS)[number];
/** The metrics computable from the model spec alone. */
export const SPEC_METRICS = ['params', 'macs', 'bytesFp32', 'bytesFp16', 'bytesInt8'] as const;
/** One of {@link SPEC_METRICS}. */
export type SpecMetricName = (typeof SPEC_METRICS)[number];

/** A hard limit on one metric. */
export interface Limit {
  metric: MetricName;
  op: '<=' | '>=';
  value: number;
}

/**
 * Parses limits written as `macs<=2e6`, `bytesInt8 <= 200000`, `accuracy>=0.98`.
 * Throws `SEARCH_LIMIT` naming the bad one.
 *
 * @example
 * parseLimits(['macs<=2e6', 'latencyMs<=2']);
 */
export function parseLimits(items: readonly string[], where = 'limits'): Limit[] {
  return items.map((s, i) => {
    const m = /^\s*([A-Za-z0-9]+)\s*(<=|>=)\s*([-+0-9.eE]+)\s*$/.exec(s);
    const at = `${where}[${i}]`;
    if (!m || !Number.isFinite(Number(m[3]))) throw new DistilleryError('SEARCH_LIMIT', `${at}: '${s}' is not a limit`, `write metric<=value or metric>=value, metrics: ${METRICS.join(', ')}`, at);
    if (!(METRICS as readonly string[]).includes(m[1]!)) throw new DistilleryError('SEARCH_LIMIT', `${at}: unknown metric '${m[1]}'`, `metrics: ${METRICS.join(', ')}`, at);
    return { metric: m[1] as MetricName, op: m[2] as Limit['op'], value: Number(m[3]) };
  });
}

/**
 * How far metrics break the limits: the sum of relative excesses (0 when every limit holds).
 * Limits whose metric is absent are skipped.
 *
 * @example
 * violation({ macs: 3e6 }, [{ metric: 'macs', op: '<=', value: 2e6 }]); // 0.5
 */
export function violation(metrics: Partial<Record<MetricName, number>>, limits: readonly Limit[]): number {
  let v = 0;
  for (const l of limits) {
    const x = metrics[l.metric];
    if (x === undefined) continue;
    const excess = l.op === '<=' ? x - l.value : l.value - x;
    if (excess > 0) v += excess / Math.max(Math.abs(l.value), 1e-12);
  }
  return v;
}

/**
 * The metrics known from a spec alone: params, MACs and weight bytes (see `modelCost`).
 *
 * @example
 * specMetrics(spec, [28, 28, 1], 10).macs;
 */
export function specMetrics(model: ModelSpec, inputShape?: readonly number[], numClasses?: number): Record<SpecMetricName, number> {
  const c = modelCost(model, inputShape, numClasses);
  return { params: c.params, macs: c.macs, bytesFp32: c.bytes.fp32, bytesFp16: c.bytes.fp16, bytesInt8: c.bytes.int8 };
}

/** What {@link checkSpecLimits} found. */
export interface SpecCheck {
  ok: boolean;
  violation: number;
  metrics: Record<SpecMetricName, number> & { predictedLatencyMs?: number };
  /** The limits that failed. */
  failed: Limit[];
}

/**
 * Checks the limits that need no training against a model spec; limits on other metrics
 * (measured latency, accuracy) are left for after evaluation. With `predictLatency` (a device's
 * latency table), `predictedLatencyMs` is known from the spec too, and checked here.
 *
 * @example
 * checkSpecLimits(spec, parseLimits(['macs<=2e6']), [28, 28, 1], 10).ok;
 * checkSpecLimits(spec, parseLimits(['predictedLatencyMs<=2']), [28, 28, 1], 10, (m) => predictLatency(m, table).ms);
 */
export function checkSpecLimits(model: ModelSpec, limits: readonly Limit[], inputShape?: readonly number[], numClasses?: number, predictLatency?: (model: ModelSpec) => number): SpecCheck {
  const metrics: SpecCheck['metrics'] = specMetrics(model, inputShape, numClasses);
  const known: readonly string[] = predictLatency ? [...SPEC_METRICS, 'predictedLatencyMs'] : SPEC_METRICS;
  if (predictLatency) metrics.predictedLatencyMs = predictLatency(model);
  const pre = limits.filter((l) => known.includes(l.metric));
  const failed = pre.filter((l) => violation(metrics, [l]) > 0);
  return { ok: failed.length === 0, violation: violation(metrics, pre), metrics, failed };
}

/** A pre-training check of one candidate: `violation` 0 means it may be trained. */
export type CandidateCheck = (c: Candidate) => { violation: number; metrics: Partial<Record<MetricName, number>> };

/**
 * Wraps a strategy so that `ask` only returns candidates that pass `check`; each rejected one is
 * told to the strategy as infeasible (so it learns) and passed to `onRejected` (so a study can
 * record it at no training cost). After `maxTries` rejections in one ask it throws
 * `SEARCH_LIMITS_UNREACHABLE`: "no candidate met the limits after N samples: the smallest MACs
 * seen was X against the limit Y".
 *
 * @example
 * const s = withLimits(strategies.get('random')(space, { seed: 1 }), (c) => {
 *   const r = checkSpecLimits(materialize(space, c).model!, limits, [28, 28, 1], 10);
 *   return { violation: r.violation, metrics: r.metrics };
 * }, limits, { maxTries: 200 });
 */
export function withLimits(
  strategy: Strategy,
  check: CandidateCheck,
  limits: readonly Limit[],
  opts: { maxTries?: number; onRejected?: (c: Candidate, violation: number, metrics: Partial<Record<MetricName, number>>) => void } = {},
): Strategy {
  const maxTries = opts.maxTries ?? 1000;
  return {
    name: strategy.name,
    ask(): Candidate {
      const closest = new Map<MetricName, number>();
      for (let t = 0; t < maxTries; t++) {
        const c = strategy.ask();
        const r = check(c);
        if (r.violation <= 0) return c;
        for (const l of limits) {
          const x = r.metrics[l.metric];
          if (x === undefined) continue;
          const best = closest.get(l.metric);
          if (best === undefined || (l.op === '<=' ? x < best : x > best)) closest.set(l.metric, x);
        }
        const result: TrialResult = { objectives: undefined, constraintViolation: r.violation };
        strategy.tell(c, result);
        opts.onRejected?.(c, r.violation, r.metrics);
      }
      const broken = limits.filter((l) => closest.has(l.metric) && violation({ [l.metric]: closest.get(l.metric)! }, [l]) > 0);
      const what = broken.map((l) => `the ${l.op === '<=' ? 'smallest' : 'largest'} ${label(l.metric)} seen was ${fmt(closest.get(l.metric)!)} against the limit ${fmt(l.value)}`).join('; ');
      throw new DistilleryError(
        'SEARCH_LIMITS_UNREACHABLE',
        `no candidate met the limits after ${maxTries} samples${what ? `: ${what}` : ''}`,
        'relax the limits, or shrink the space (fewer or narrower blocks) so that some candidates fit',
        'limits',
      );
    },
    tell: (c, r) => strategy.tell(c, r),
    state: () => strategy.state(),
    restore: (s) => strategy.restore(s),
  };
}

const label = (m: MetricName): string => ({ params: 'params', macs: 'MACs', bytesFp32: 'fp32 bytes', bytesFp16: 'fp16 bytes', bytesInt8: 'int8 bytes', latencyMs: 'latency (ms)', predictedLatencyMs: 'predicted latency (ms)', accuracy: 'accuracy' })[m];
const fmt = (x: number): string => (Number.isInteger(x) ? String(x) : x.toPrecision(4));
