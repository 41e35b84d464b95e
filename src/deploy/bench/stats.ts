/** Latency statistics of one batch size: what `bench` reports and the predictor fits against. */
export interface LatencyStats {
  batch: number;
  /** Timed runs (after the warm-up). */
  iterations: number;
  meanMs: number;
  minMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Samples per second at the mean latency: `batch / (meanMs / 1000)`. */
  throughput: number;
}

/** Options of {@link timeRuns}. */
export interface TimingOptions {
  /** Untimed runs first (JIT, weight upload, allocator, caches). Default 5. */
  warmup?: number;
  /** Timed runs. Default 50. */
  iterations?: number;
}

/**
 * The p-th percentile (0–100) of sorted values, interpolating linearly between ranks (numpy's
 * default), so p50 of an even count is the mean of the middle two.
 *
 * @example
 * percentile([1, 2, 3, 4], 50); // 2.5
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const r = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(r);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (r - lo);
}

/**
 * Summarises per-run times (ms) of one batch size.
 *
 * @example
 * latencyStats([2, 4], 32).throughput; // 32 / 0.003 = 10666.7 samples/s
 */
export function latencyStats(ms: readonly number[], batch: number): LatencyStats {
  const s = [...ms].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / Math.max(1, s.length);
  return {
    batch,
    iterations: s.length,
    meanMs: mean,
    minMs: s[0] ?? NaN,
    p50Ms: percentile(s, 50),
    p95Ms: percentile(s, 95),
    p99Ms: percentile(s, 99),
    maxMs: s[s.length - 1] ?? NaN,
    throughput: batch / (mean / 1000),
  };
}

/**
 * Runs `fn` `warmup` times untimed, then `iterations` times, each timed with
 * `process.hrtime.bigint()` around the awaited call: `fn` must finish its work before it
 * resolves (read the output back: TF.js runs lazily).
 *
 * @example
 * const ms = await timeRuns(() => { const y = model.predict(x) as tf.Tensor; y.dataSync(); y.dispose(); }, { iterations: 100 });
 */
export async function timeRuns(fn: () => unknown, opts: TimingOptions = {}): Promise<number[]> {
  const warmup = opts.warmup ?? 5;
  const iterations = opts.iterations ?? 50;
  for (let i = 0; i < warmup; i++) await fn();
  const out: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    out.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return out;
}
