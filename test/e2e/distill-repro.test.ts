import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEvents, ROOT, tempDir } from '../helpers/cli.ts';

// `npm run repro:hinton -- --quick`: Hinton et al. 2015 §3 on a 10k-image subset. The slowest
// test here (a few minutes on 2 idle cores): three real training runs of the paper's nets.

function repro(args: string[]) {
  const r = spawnSync(process.execPath, ['--import', join(ROOT, 'bin/ts-register.js'), join(ROOT, 'bench/repro-hinton.ts'), ...args], { cwd: ROOT, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('repro:hinton --quick: the distilled student makes fewer test errors than the same student alone', { timeout: 45 * 60_000 }, () => {
  const out = join(tempDir(), 'repro');
  const r = repro(['--quick', '--json', '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  const events = parseEvents(r.stdout);
  const done = events.at(-1)!;
  assert.deepEqual(Object.keys(done).slice(0, 4), ['event', 'teacherErrors', 'studentErrors', 'distilledErrors']);
  assert.equal(done['event'], 'done');
  const teacher = done['teacherErrors'] as number;
  const alone = done['studentErrors'] as number;
  const distilled = done['distilledErrors'] as number;
  assert.ok(teacher < alone, `teacher ${teacher} errors, student alone ${alone}`);
  assert.ok(distilled < alone, `distilled ${distilled} errors, student alone ${alone}`);
  assert.deepEqual(events.filter((e) => e['event'] === 'epoch').map((e) => e['label']), [...Array(12).fill('teacher'), ...Array(5).fill('student'), ...Array(5).fill('distilled')]);

  const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(results['distilledErrors'], distilled);
  assert.equal(results['testSamples'], 10000);
  assert.deepEqual(results['settings'], { seed: 1, limit: 10000, teacherEpochs: 12, studentEpochs: 5, batchSize: 128, backend: 'auto' });
  for (const stage of ['teacher', 'student', 'distilled']) assert.ok(existsSync(join(out, stage, 'model', 'model.json')), stage);

  const again = repro(['--quick', '--out', out]);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /^error OUT_EXISTS: /);
  // finished stages are reused, not retrained: the same numbers at once
  const resumed = repro(['--quick', '--json', '--resume', '--out', out]);
  assert.equal(resumed.code, 0, resumed.stderr);
  const last = parseEvents(resumed.stdout).at(-1)!;
  assert.deepEqual([last['teacherErrors'], last['studentErrors'], last['distilledErrors']], [teacher, alone, distilled]);
});
