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
  /** Mean of the runs between the 25th and 75th percentiles: robust to the bursts other processes add, steadier than the median. */
  trimmedMeanMs: number;
  /** Spread of the runs: `100 · (p75 − p25) / p50`, in percent. */
  spreadPct: number;
  /** Untimed runs made before timing (until steady, see {@link TimingOptions}). */
  warmupRuns?: number;
  /** Samples per second at the mean latency: `batch / (meanMs / 1000)`. */
  throughput: number;
}

/** Options of {@link timeRuns}. */
export interface TimingOptions {
  /**
   * Untimed runs first (JIT, weight upload, allocator, caches), at least; default 5. Warm-up
   * then goes on in chunks until two successive chunk medians agree within `tolerance`, up to
   * `maxWarmup` runs: a model is timed once it runs steadily, not after a fixed guess.
   */
  warmup?: number;
  /** Most untimed runs; default `max(20 · warmup, 50)`. Set it to `warmup` for a fixed warm-up. */
  maxWarmup?: number;
  /**
   * Least time (ms, summed over the untimed runs) to warm up for, past `maxWarmup` if need be;
   * default 0. A sub-millisecond model on TF.js wasm keeps speeding up for thousands of runs
   * (a 0.3 ms subnet timed 60 ms after the default 5), long after two chunks first agree.
   */
  warmupMs?: number;
  /** Relative agreement of two warm-up chunks that counts as steady; default 0.05. */
  tolerance?: number;
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
  const p50 = percentile(s, 50);
  return {
    batch,
    iterations: s.length,
    meanMs: mean,
    minMs: s[0] ?? NaN,
    p50Ms: p50,
    p95Ms: percentile(s, 95),
    p99Ms: percentile(s, 99),
    maxMs: s[s.length - 1] ?? NaN,
    trimmedMeanMs: trimmedMean(s),
    spreadPct: (100 * (percentile(s, 75) - percentile(s, 25))) / p50,
    throughput: batch / (mean / 1000),
  };
}

/**
 * The interquartile mean of sorted values: the mean of those between the 25th and 75th
 * percentiles (at least the median). What one round of timed runs is summed up by: it keeps
 * more of the data than the median (less jitter between rounds) and none of the tail that
 * other processes add on a shared machine.
 *
 * @example
 * trimmedMean([1, 2, 3, 4, 100]); // 3
 */
export function trimmedMean(sorted: readonly number[]): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const lo = Math.floor(n / 4);
  const hi = Math.max(lo + 1, n - Math.floor(n / 4));
  const mid = sorted.slice(lo, hi);
  return mid.reduce((a, b) => a + b, 0) / mid.length;
}

function median(xs: readonly number[]): number {
  return percentile([...xs].sort((a, b) => a - b), 50);
}

async function once(fn: () => unknown): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/**
 * Warms `fn` up until it runs steadily: chunks of runs until two successive chunk medians agree
 * within `tolerance` (at least `warmup` runs, at most `maxWarmup`), and for at least `warmupMs`
 * of run time. Returns the runs made.
 *
 * @example
 * await warmUp(() => p.run(), { warmup: 10 }); // 30
 */
export function warmUp(fn: () => unknown, opts: TimingOptions = {}): Promise<number> {
  return warmUpWith(() => once(fn), opts);
}

/**
 * {@link warmUp} over any measurement: `measure` makes one run and returns its time. The rule
 * in one place, for Node's timers and (mirrored in the page's script) the browser's.
 *
 * @example
 * const seq = [9, 9, 9, 5, 5, 5, 5, 5, 5]; let i = 0;
 * await warmUpWith(async () => seq[i++]!, { warmup: 3 }); // 9: chunk medians 9, 5, 5
 */
export async function warmUpWith(measure: () => Promise<number>, opts: TimingOptions = {}): Promise<number> {
  const min = opts.warmup ?? 5;
  const max = Math.max(min, opts.maxWarmup ?? Math.max(20 * min, 50));
  const tol = opts.tolerance ?? 0.05;
  const minMs = opts.warmupMs ?? 0;
  const chunk = Math.max(3, Math.min(20, min));
  let done = 0;
  let spent = 0;
  let prev = Infinity;
  // MAX_RUNS only guards against a measure that reports no time at all
  while (done < max || (spent < minMs && done < MAX_RUNS)) {
    const c: number[] = [];
    for (let i = 0; i < (done < max ? Math.min(chunk, max - done) : chunk); i++) c.push(await measure());
    done += c.length;
    spent += c.reduce((a, b) => a + b, 0);
    const med = median(c);
    if (done >= min && spent >= minMs && Math.abs(med - prev) <= tol * Math.min(med, prev)) break;
    prev = med;
  }
  return done;
}

const MAX_RUNS = 10_000_000;

/**
 * Warms `fn` up until steady (see {@link warmUp}), then runs it `iterations` times, each timed
 * with `process.hrtime.bigint()` around the awaited call: `fn` must finish its work before it
 * resolves (read the output back: TF.js runs lazily).
 *
 * @example
 * const ms = await timeRuns(() => { const y = model.predict(x) as tf.Tensor; y.dataSync(); y.dispose(); }, { iterations: 100 });
 */
export async function timeRuns(fn: () => unknown, opts: TimingOptions = {}): Promise<number[]> {
  await warmUp(fn, opts);
  const out: number[] = [];
  for (let i = 0; i < (opts.iterations ?? 50); i++) out.push(await once(fn));
  return out;
}
