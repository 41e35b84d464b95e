import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempDir } from '../helpers/cli.ts';

test('quickstart (small): teacher, student alone and student distilled, compared and saved', () => {
  const out = join(tempDir(), 'qs');
  const r = runCli(['quickstart', '--limit', '3000', '--epochs', '1', '--out', out, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const done = r.events.at(-1)!;
  assert.equal(done['event'], 'done');
  const teacher = done['teacher'] as Record<string, number>;
  const student = done['student'] as Record<string, number>;
  const distilled = done['distilled'] as Record<string, number>;
  // 784-1200-1200-10 and 784-100-10
  assert.equal(teacher['params'], 785 * 1200 + 1201 * 1200 + 1201 * 10);
  assert.equal(student['params'], 785 * 100 + 101 * 10);
  assert.ok(Math.abs((done['sizeRatio'] as number) - student['params'] / teacher['params']) < 1e-12);
  for (const m of [teacher, student]) {
    assert.equal(m['testSamples'], 10000);
    // one short epoch on 2,700 images: far above chance (0.1), far from converged
    assert.ok(m['testAccuracy'] > 0.6, `accuracy ${m['testAccuracy']}`);
  }
  // the same student, distilled: after one epoch the teacher's T = 4 targets are still nearly
  // flat (it is 83% right), so the student learns mostly from the 0.1 hard-label term; well above chance
  assert.equal(distilled['params'], student['params']);
  assert.equal(distilled['testSamples'], 10000);
  assert.ok(distilled['testAccuracy'] > 0.3, `distilled accuracy ${distilled['testAccuracy']}`);
  assert.equal(done['gain'], distilled['testErrors'] - student['testErrors']);
  for (const who of ['teacher', 'student', 'distilled']) assert.ok(existsSync(join(out, who, 'model', 'model.json')), who);

  const human = runCli(['quickstart', '--limit', '3000', '--epochs', '1', '--out', out]);
  assert.equal(human.code, 2, 'a second run into the same folder is refused, nothing overwritten');
  assert.match(human.stderr, /^error OUT_EXISTS: /);
});
