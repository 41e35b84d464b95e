import { test } from 'node:test';
import assert from 'node:assert/strict';
import { latencyStats, percentile, timeRuns } from './stats.ts';

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
    await new Promise((r) => setTimeout(r, 2));
  }, { warmup: 2, iterations: 3 });
  assert.equal(calls, 5);
  assert.equal(ms.length, 3);
  // setTimeout(2) resolves no sooner than ~2 ms: the await is inside the timed region
  for (const t of ms) assert.ok(t >= 1.5, `${t} ms`);
});
