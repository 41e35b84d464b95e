import { test } from 'node:test';
import assert from 'node:assert/strict';
import { latencyStats, percentile, timeRuns, trimmedMean, warmUpWith } from './stats.ts';

test('percentiles interpolate between ranks as numpy does', () => {
  const s = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  assert.equal(percentile(s, 50), 5.5);
  assert.ok(Math.abs(percentile(s, 95) - 9.55) < 1e-12);
  assert.ok(Math.abs(percentile(s, 99) - 9.91) < 1e-12);
  assert.equal(percentile(s, 0), 1);
  assert.equal(percentile(s, 100), 10);
  assert.equal(percentile([7], 99), 7);
  assert.ok(Number.isNaN(percentile([], 50)));
});

test('latency stats: order, mean and throughput of one batch size', () => {
  const s = latencyStats([4, 1, 3, 2, 10], 32);
  assert.deepEqual([s.minMs, s.p50Ms, s.maxMs, s.meanMs, s.iterations], [1, 3, 10, 4, 5]);
  assert.ok(s.p50Ms <= s.p95Ms && s.p95Ms <= s.p99Ms && s.p99Ms <= s.maxMs);
  assert.equal(s.throughput, 32 / 0.004);
});

test('timeRuns runs warm-up then timed iterations, each timed around the awaited work', async () => {
  let calls = 0;
  const ms = await timeRuns(async () => {
    calls++;
    await new Promise((r) => setTimeout(r, 6));
  }, { warmup: 2, maxWarmup: 2, iterations: 3 });
  assert.equal(calls, 5);
  assert.equal(ms.length, 3);
  // setTimeout(6) resolves no sooner than ~5 ms (Node's timers may fire up to 1 ms early): the
  // await is inside the timed region, where an untimed await would read ~0 ms
  for (const t of ms) assert.ok(t >= 4.5, `${t} ms`);
});

test('latency stats: the interquartile mean ignores a burst, the spread is the relative IQR', () => {
  assert.equal(trimmedMean([1, 2, 3, 4, 100]), 3);
  assert.equal(trimmedMean([1, 2, 3, 4, 5, 6, 7, 1000]), 4.5);
  assert.equal(trimmedMean([7]), 7);
  const s = latencyStats([10, 10, 10, 10, 11, 11, 11, 11, 500], 1);
  // p25 10, p50 11, p75 11: spread 100 · 1 / 11
  assert.ok(Math.abs(s.spreadPct - 100 / 11) < 1e-9, String(s.spreadPct));
  assert.ok(s.trimmedMeanMs > 10 && s.trimmedMeanMs < 11, String(s.trimmedMeanMs));
});

test('warm-up goes on until two successive chunks agree, within its bounds', async () => {
  const scripted = (seq: number[]) => {
    let i = 0;
    return async () => seq[Math.min(i++, seq.length - 1)]!;
  };
  // a model that speeds up over its first 9 runs: chunk medians 20, 9, 5, 5 -> steady after 12 runs
  const slowStart = [20, 20, 20, 9, 9, 9, 5, 5, 5, 5, 5, 5, 5, 5, 5];
  assert.equal(await warmUpWith(scripted(slowStart), { warmup: 3 }), 12);
  // never steady: stops at maxWarmup
  const alternating = Array.from({ length: 200 }, (_, i) => (Math.floor(i / 3) % 2 ? 1 : 2));
  assert.equal(await warmUpWith(scripted(alternating), { warmup: 3, maxWarmup: 30 }), 30);
  // steady from the start: the minimum, rounded up to whole chunks
  assert.equal(await warmUpWith(scripted([4]), { warmup: 10 }), 20);
  // within tolerance counts as agreement
  assert.equal(await warmUpWith(scripted([10, 10, 10, 10.4, 10.4, 10.4]), { warmup: 3, tolerance: 0.05 }), 6);
});

test('warm-up runs for at least warmupMs of run time, past maxWarmup if need be', async () => {
  const scripted = (seq: number[]) => {
    let i = 0;
    return async () => seq[Math.min(i++, seq.length - 1)]!;
  };
  // steady at once (6 runs without a time), but 100 ms of 0.5 ms runs takes 200: whole chunks of 3 -> 201
  assert.equal(await warmUpWith(scripted([0.5]), { warmup: 3 }), 6);
  assert.equal(await warmUpWith(scripted([0.5]), { warmup: 3, warmupMs: 100 }), 201);
  // never steady, maxWarmup 30 (45 ms): goes on to 90 ms = 60 runs of 1 and 2 ms
  const alternating = Array.from({ length: 200 }, (_, i) => (Math.floor(i / 3) % 2 ? 1 : 2));
  assert.equal(await warmUpWith(scripted(alternating), { warmup: 3, maxWarmup: 30, warmupMs: 90 }), 60);
  // the time is spent already: the run count rules as before
  assert.equal(await warmUpWith(scripted([20, 20, 20, 9, 9, 9, 5]), { warmup: 3, warmupMs: 50 }), 12);
});
