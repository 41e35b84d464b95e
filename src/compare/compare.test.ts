import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { DistilleryEvent } from '../core/events.ts';
import { ROOT_FIXTURES } from './testing.ts';
import { csvFolder, csvTeacher, tinyCompareConfig } from './testing.ts';
import { ARMS, compare, compareConfigSchema } from './index.ts';
import type { CompareResult } from './index.ts';

// The real jobs on real data (the breast-cancer CSV, 200 rows: 160 to train, 40 to validate; 113
// to test), a 30-32-2 teacher and a 30-4-2 hand student: four arms × 3 seeds in a few seconds.
const N = 160;
const STUDENT_MACS = 30 * 4 + 4 * 2; // 128
const TEACHER_MACS = 30 * 32 + 32 * 2; // 1024
const BUDGET = 20 * 3 * STUDENT_MACS * N; // budget.studentEpochs: 20

let dir: string;
let teacher: string;
let clean: CompareResult;
const events: (DistilleryEvent & { arm?: string; seed?: number })[] = [];

before(async () => {
  dir = csvFolder();
  teacher = await csvTeacher(dir);
  clean = await compare(compareConfigSchema.parse(tinyCompareConfig(dir, teacher)), { out: join(dir, 'clean'), reporter: (e) => events.push(e) });
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('the accountant charges what the arms trained: epochs run × 3 × model MACs × samples, and the teacher pass once per distilled arm and seed', () => {
  assert.equal(clean.plan.samples, N);
  assert.equal(clean.plan.studentMacs, STUDENT_MACS);
  assert.equal(clean.plan.teacherMacs, TEACHER_MACS);
  assert.equal(clean.plan.budget, BUDGET);
  for (const arm of ARMS) {
    for (const s of clean.arms[arm].seeds) {
      const mine = events.filter((e) => e.arm === arm && e.seed === s.seed);
      const finalEpochs = mine.filter((e) => e.event === 'epoch').length;
      const macsOf = new Map(s.trials.map((t) => [t.number, t.cost!]));
      let recount = finalEpochs * 3 * s.macs * N;
      for (const e of mine.filter((e) => e.event === ('trial_epoch' as string))) recount += 3 * macsOf.get(e['number'] as number)! * N;
      const teacherCharges = s.charges.filter((c) => c.what.startsWith('teacher'));
      if (arm === 'distilled' || arm === 'search-distilled') {
        assert.equal(teacherCharges.length, 1, `${arm} seed ${s.seed}: one teacher pass`);
        assert.equal(teacherCharges[0]!.macs, TEACHER_MACS * N);
        recount += TEACHER_MACS * N;
      } else {
        assert.equal(teacherCharges.length, 0);
      }
      assert.equal(s.trainingMacs, recount, `${arm} seed ${s.seed}: charged ${s.trainingMacs}, trained ${recount}`);
      assert.ok(s.trainingMacs <= BUDGET, `${arm} seed ${s.seed} within the budget`);
    }
  }
  // The hand student alone spends the budget exactly: 20 epochs.
  for (const s of clean.arms.student.seeds) assert.equal(s.chosen.epochs, 20);
  // The distilled arms tried both recipes before training the chosen one.
  for (const s of clean.arms.distilled.seeds) assert.deepEqual(s.trials.map((t) => Object.entries(t.params).find(([k]) => k.endsWith('alpha'))?.[1]).sort(), [0.5, 0.9]);
});

test("each arm's training MACs lie within 5% of every other arm's", () => {
  const all = ARMS.flatMap((a) => clean.arms[a].seeds.map((s) => s.trainingMacs));
  const gap = (Math.max(...all) - Math.min(...all)) / Math.max(...all);
  assert.ok(gap <= 0.05, `arms ${(100 * gap).toFixed(1)}% apart`);
  assert.ok(gap > 0, 'the search arms leave part of an epoch unspent: a zero gap would mean the charges are not per model');
});

test('no arm reads the test split before the end: with poisoned test labels every selection is the same, only the final test scores change', async () => {
  const poison = await compare(compareConfigSchema.parse(tinyCompareConfig(dir, teacher, { data: { ...(tinyCompareConfig(dir, teacher)['data'] as object), source: { type: 'csv', train: join(dir, 'train.csv'), test: join(dir, 'poison.csv'), label: 'diagnosis' } } })), { out: join(dir, 'poison') });
  const picked = (r: CompareResult) => ARMS.map((a) => r.arms[a].seeds.map((s) => ({ chosen: s.chosen, val: s.valAccuracy, macs: s.trainingMacs, trials: s.trials })));
  assert.deepEqual(picked(poison), picked(clean));
  for (const a of ARMS) {
    for (const [i, s] of poison.arms[a].seeds.entries()) {
      const c = clean.arms[a].seeds[i]!;
      // Every label flipped (two classes): each right answer on the clean set is wrong on the poisoned one.
      assert.equal(s.testErrors, s.testSamples! - c.testErrors!, `${a} seed ${s.seed}`);
    }
  }
  // The final runs scored themselves on validation, never on test.
  const metrics = readFileSync(join(dir, 'clean', 'student', 'seed-1', 'final', 'metrics.jsonl'), 'utf8');
  assert.match(metrics, /"evaluatedOn":"validation"/);
  assert.doesNotMatch(metrics, /"evaluatedOn":"test"/);
});

test('the report: a verdict from the numbers, a table row per arm and the teacher, a front plot per arm', () => {
  const html = readFileSync(clean.report.html, 'utf8');
  assert.match(clean.verdict, /^Best model within macs<=128: the [a-z-]+ arm, \d+\.\d\d% ± \d+\.\d\d test accuracy over 3 seeds/);
  assert.ok(html.includes(clean.verdict.slice(0, 60).replace(/</g, '&lt;')));
  for (const a of ARMS) assert.match(html, new RegExp(`<svg id="front-${a}"[^>]*data-points="(\\d+)"`));
  assert.match(html, /<svg id="front-all"[^>]*data-points="13"/, '4 arms × 3 seeds and the teacher');
  const md = readFileSync(clean.report.markdown, 'utf8');
  assert.match(md, /\| teacher \(reference\) \|/);
});

test('bad input fails in one clear error before any training, leaving no output folder', async () => {
  const cases: [Record<string, unknown>, string, RegExp][] = [
    [{ budget: { macs: 1000 } }, 'COMPARE_BUDGET_TOO_SMALL', /budget\.macs: 1000 training MACs do not pay for one epoch of the hand student \(61440 = 3 × 128 MACs × 160 samples\)/],
    [{ space: { template: { model: { blocks: [{ type: 'dense', units: { choice: [16, 32] } }, { type: 'dense', units: 2 }] } } } }, 'SEARCH_LIMITS_UNREACHABLE', /the smallest MACs seen was 512 against the limit 128/],
    [{ teacher: { type: 'onnx', path: ROOT_FIXTURES + '/mnist-5class.onnx' } }, 'TEACHER_INPUT_SHAPE', /the data's samples are \[30\]/],
    [{ limits: ['macs<=100'] }, 'COMPARE_STUDENT_LIMITS', /student: its macs 128 breaks the limit macs<=100/],
  ];
  for (const [over, code, message] of cases) {
    const out = join(dir, `bad-${code}`);
    await assert.rejects(compare(compareConfigSchema.parse(tinyCompareConfig(dir, teacher, over)), { out }), (e: Error & { code?: string }) => {
      assert.equal(e.code, code, e.message);
      assert.match(e.message, message);
      return true;
    });
    assert.equal(existsSync(out), false, `${code}: nothing written`);
  }
});
