import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeJsonAtomic } from '../../core/fs.ts';
import { comparePredictions } from './compare.ts';
import { profileDevice } from './profile.ts';
import { randomSpecs, readSpecSource } from './sources.ts';
import { blockInstances, predictLatency, readLatencyTable } from '../../models/latency/index.ts';

const quick = { threads: 1, warmup: 1, iterations: 5 };

test('profile-device on onnx: every block of the specs gets an entry, and the table predicts them', async () => {
  const specs = randomSpecs(3, 5);
  const table = await profileDevice(specs, { ...quick, runtime: 'onnx', calibration: specs });
  const keys = new Set(specs.flatMap((s) => blockInstances(s).map((b) => b.key)));
  assert.deepEqual(new Set(Object.keys(table.entries)), keys);
  for (const e of Object.values(table.entries)) assert.ok(e.ms >= 0 && Number.isFinite(e.ms));
  assert.ok(table.scale > 0);
  const dir = mkdtempSync(join(tmpdir(), 'distillery-profile-'));
  writeJsonAtomic(join(dir, 't.json'), table);
  const back = readLatencyTable(join(dir, 't.json'));
  for (const s of specs) {
    const p = predictLatency(s, back);
    assert.equal(p.missing, 0);
    assert.ok(p.ms > 0 && Number.isFinite(p.ms));
  }
  const { rows, summary } = await comparePredictions(specs.map((spec, i) => ({ name: `m${i}`, spec })), back, { warmup: 1, iterations: 5 });
  assert.equal(summary.n, 3);
  for (const r of rows) assert.ok(Math.abs(r.errorPct - (100 * (r.predictedMs - r.measuredMs)) / r.measuredMs) < 1e-9);
});

test('spec sources: a search space is sampled into distinct valid specs; a list is read as is', () => {
  const fromSpace = readSpecSource('examples/spaces/mnist-mobile.yaml', { samples: 12, seed: 3 });
  assert.equal(fromSpace.length, 12);
  assert.equal(new Set(fromSpace.map((s) => JSON.stringify(s))).size, 12);
  for (const s of fromSpace) assert.equal(s.blocks.at(-1)!.type, 'dense');
  const dir = mkdtempSync(join(tmpdir(), 'distillery-specs-'));
  writeFileSync(join(dir, 'list.json'), JSON.stringify([{ blocks: [{ type: 'flatten' }] }, { input: [4, 4, 2], blocks: [{ type: 'conv2d', filters: 3 }] }]));
  const list = readSpecSource(join(dir, 'list.json'));
  assert.deepEqual(list.map((s) => s.input), [[28, 28, 1], [4, 4, 2]]);
  writeFileSync(join(dir, 'odd.json'), '{"hello": 1}');
  assert.throws(() => readSpecSource(join(dir, 'odd.json')), { code: 'PREDICT_SPACE' });
});
