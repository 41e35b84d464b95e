import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromiumSkip } from '../helpers/browser.ts';
import { runCli, tempDir, tinySearchConfig, writeConfig } from '../helpers/cli.ts';
import { initEngine } from '../../src/engine/index.ts';
import { buildModel, modelCost, saveModel } from '../../src/models/index.ts';

// Headless Debian chromium; in CI a missing one fails (test/helpers/tools.ts).
const skip = chromiumSkip();
const spec = { blocks: [{ type: 'conv2d', filters: 4, stride: 2 }, { type: 'sepconv', filters: 8 }, { type: 'globalavgpool' }] };

test('bench --runtime browser --json: TF.js wasm inside Chromium, a done event with p50Ms and the model costs', { skip }, async () => {
  await initEngine({ backend: 'wasm', threads: 1 });
  const dir = tempDir();
  const model = buildModel(spec as never, { inputShape: [16, 16, 1], numClasses: 10, seed: 1 });
  await saveModel(model, join(dir, 'model'));
  model.dispose();
  const r = runCli(['bench', join(dir, 'model'), '--runtime', 'browser', '--batch', '1,2', '--warmup', '2', '--iterations', '5', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const done = r.events.at(-1)!;
  assert.equal(done['event'], 'done');
  assert.equal(done['runtime'], 'browser');
  assert.equal(done['threads'], 1);
  const batches = done['batches'] as { batch: number; iterations: number; p50Ms: number; p95Ms: number; warmupRuns: number }[];
  assert.deepEqual(batches.map((b) => [b.batch, b.iterations]), [[1, 5], [2, 5]]);
  for (const b of batches) assert.ok(b.p50Ms > 0 && b.p50Ms <= b.p95Ms && b.warmupRuns >= 2, JSON.stringify(b));
  assert.equal(done['p50Ms'], batches[0]!.p50Ms);
  assert.equal(done['macs'], modelCost(spec as never, [16, 16, 1], 10).macs);
  assert.match((done['notes'] as string[]).join('\n'), /HeadlessChrome.*TF\.js wasm with 1 thread/);
});

test('profile-device --runtime browser writes a table of the blocks timed in Chromium', { skip }, () => {
  const dir = tempDir();
  const list = join(dir, 'models.json');
  writeFileSync(list, JSON.stringify([
    { input: [12, 12, 1], blocks: [{ type: 'conv2d', filters: 4, stride: 2 }, { type: 'globalavgpool' }] },
    { input: [12, 12, 1], blocks: [{ type: 'conv2d', filters: 4, stride: 2 }, { type: 'maxpool' }, { type: 'flatten' }] },
  ]));
  const out = join(dir, 'table.json');
  const r = runCli(['profile-device', '--runtime', 'browser', '--space', list, '--out', out, '--warmup', '1', '--iterations', '3', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const done = r.events.at(-1)!;
  assert.equal(done['runtime'], 'browser');
  // conv stem (shared), globalavgpool, maxpool, flatten, and each model's dense head (on 4 and on 36 features)
  assert.equal(done['blocks'], 6);
  const t = JSON.parse(readFileSync(out, 'utf8')) as { runtime: string; entries: Record<string, { ms: number }> };
  assert.equal(t.runtime, 'browser');
  for (const e of Object.values(t.entries)) assert.ok(Number.isFinite(e.ms) && e.ms >= 0);
});

test('a search with a latencyMs objective on the browser runtime: every trial timed in Chromium', { skip }, () => {
  const dir = tempDir();
  const cfg = writeConfig(dir, 'search.json', tinySearchConfig({
    objectives: [{ metric: 'accuracy', direction: 'max' }, { metric: 'latencyMs', direction: 'min' }],
    latency: { runtime: 'browser', runs: 5, warmup: 2 },
    budget: { trials: 2, epochs: 1 },
  }));
  const store = join(dir, 'study.db');
  const r = runCli(['search', '--config', cfg, '--store', store, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const trials = r.events.filter((e) => e['event'] === 'trial_done' && e['state'] === 'complete');
  assert.ok(trials.length >= 1, r.stdout);
  for (const t of trials) {
    const ms = (t['objectives'] as Record<string, number>)['latencyMs']!;
    assert.ok(ms > 0 && ms < 1000, `latencyMs ${ms}`);
  }
  assert.ok(existsSync(store));
});

test('report --runtime browser: the model timed in Chromium, in the report\'s latency column', { skip }, async () => {
  await initEngine({ backend: 'wasm', threads: 1 });
  const dir = tempDir();
  const model = buildModel(spec as never, { inputShape: [16, 16, 1], numClasses: 10, seed: 2 });
  await saveModel(model, join(dir, 'model'));
  model.dispose();
  const r = runCli(['report', join(dir, 'model'), '--runtime', 'browser', '--warmup', '2', '--iterations', '5', '--out', join(dir, 'r.html'), '--json']);
  assert.equal(r.code, 0, r.stderr);
  const m = (r.events.at(-1)!['models'] as { latency: Record<string, { p50Ms: number; p95Ms: number }> }[])[0]!;
  assert.deepEqual(Object.keys(m.latency), ['browser']);
  assert.ok(m.latency['browser']!.p50Ms > 0 && m.latency['browser']!.p50Ms <= m.latency['browser']!.p95Ms);
  assert.match(readFileSync(join(dir, 'r.md'), 'utf8'), /browser p50 \/ p95 ms/);
});
