import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { runCli, startCli, writeConfig } from '../helpers/cli.ts';
import { csvFolder, csvTeacher, tinyCompareConfig } from '../../src/compare/testing.ts';

type Event = Record<string, unknown> & { event: string; arm?: string; seed?: number };

test('compare killed (kill -9) during the search arm, then --resume: no finished arm, seed or trial is redone, and the done event holds all four arms', async () => {
  const dir = csvFolder();
  try {
    const teacher = await csvTeacher(dir);
    const cfg = writeConfig(dir, 'compare.json', tinyCompareConfig(dir, teacher));
    const out = join(dir, 'out');
    const child = startCli(['compare', '--config', cfg, '--out', out, '--json']);
    const before: Event[] = [];
    let sawTrial = false;
    await new Promise<void>((resolve) => {
      const lines = createInterface({ input: child.stdout });
      lines.on('line', (l) => {
        const e = JSON.parse(l) as Event;
        before.push(e);
        if (e.arm === 'search' && e.event === 'trial_done' && e['state'] === 'complete') sawTrial = true;
        // Kill in the middle of the next search trial, once one has finished.
        if (sawTrial && e.arm === 'search' && e.event === 'trial_epoch' && !child.killed) child.kill('SIGKILL');
      });
      child.on('exit', () => resolve());
    });
    assert.ok(sawTrial, `the run reached the search arm before the kill (${before.length} events)`);
    const finishedSeeds = before.filter((e) => e.event === 'arm_done').map((e) => `${e['arm']}/${e['seed']}`);
    assert.ok(finishedSeeds.includes('student/1') && finishedSeeds.includes('distilled/3'), finishedSeeds.join(', '));
    const key = (e: Event) => `${e.arm}/${e.seed}/${e['number']}`;
    const finishedTrials = new Set(before.filter((e) => e.event === 'trial_done' && e['state'] !== 'infeasible').map(key));

    const r = runCli(['compare', '--config', cfg, '--out', out, '--resume', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const after = r.events as Event[];
    for (const e of after.filter((e) => e.event === 'arm_done')) assert.ok(!finishedSeeds.includes(`${e['arm']}/${e['seed']}`), `${e['arm']} seed ${e['seed']} finished before the kill and ran again`);
    assert.equal(after.filter((e) => (e.arm === 'student' || e.arm === 'distilled') && (e.event === 'epoch' || e.event === 'trial_epoch')).length, 0, 'finished arms train nothing');
    for (const e of after.filter((e) => e.event === 'trial_start')) assert.ok(!finishedTrials.has(key(e)), `trial ${key(e)} finished before the kill and started again`);
    assert.ok(after.some((e) => e.event === 'trial_start' && e.arm === 'search' && e['attempt'] === 2), 'the trial killed mid-run is run again');

    const done = after.at(-1)!;
    assert.deepEqual(Object.keys(done), ['event', 'arms', 'verdict']);
    const arms = done['arms'] as Record<string, { trainingMacs: number; seeds: unknown[]; best: { accuracy: { mean: number } }; front: unknown[] }>;
    assert.deepEqual(Object.keys(arms), ['student', 'distilled', 'search', 'search-distilled']);
    for (const [name, a] of Object.entries(arms)) {
      assert.deepEqual(Object.keys(a), ['trainingMacs', 'seeds', 'best', 'front'], name);
      assert.equal(a.seeds.length, 3, name);
      assert.ok(a.trainingMacs > 0.95 * 61440 * 20 && a.trainingMacs <= 61440 * 20, `${name}: ${a.trainingMacs}`);
      assert.ok(a.best.accuracy.mean > 0.8, `${name}: ${a.best.accuracy.mean}`);
      assert.ok(a.front.length >= 1);
    }
    assert.match(String(done['verdict']), /^Best model within macs<=128/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('compare with a budget too small for one epoch of the hand student: one clear line on stderr, exit 2, nothing written', () => {
  const dir = csvFolder();
  try {
    const cfg = writeConfig(dir, 'compare.json', tinyCompareConfig(dir, join(dir, 'no-teacher-needed-yet'), { budget: { macs: 1000 } }));
    const out = join(dir, 'out');
    const r = runCli(['compare', '--config', cfg, '--out', out]);
    assert.equal(r.code, 2, r.stderr);
    assert.deepEqual(r.stderr.trim().split('\n'), ['error COMPARE_BUDGET_TOO_SMALL: budget.macs: 1000 training MACs do not pay for one epoch of the hand student (61440 = 3 × 128 MACs × 160 samples) (hint: give at least budget.macs: 61440, or budget.studentEpochs)']);
    assert.equal(existsSync(out), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
