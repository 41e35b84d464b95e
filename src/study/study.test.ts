import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { isDistilleryError } from '../core/errors.ts';
import { nonDominatedSort, toMinimization } from '../search/index.ts';
import { openStore } from '../store/index.ts';
import { studyConfigSchema } from './config.ts';
import { InlineExecutor } from './executor.ts';
import type { Executor } from './executor.ts';
import { runStudy } from './loop.ts';
import { prepareStudy } from './setup.ts';

const root = join(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'distillery-study-'));
const nb201 = parseYaml(readFileSync(join(root, 'examples/spaces/nb201.yaml'), 'utf8')) as { space: unknown; table: { keys: Record<string, string> } };

function tableConfig(overrides: Record<string, unknown> = {}) {
  return studyConfigSchema.parse({
    name: 'nb',
    seed: 5,
    space: nb201.space,
    table: { file: join(root, 'bench/data/nb201-cifar10.csv'), keys: nb201.table.keys },
    strategy: { name: 'evolution', options: { population: 6, sampleSize: 3 } },
    objectives: [{ metric: 'c10_valid_12ep', direction: 'max' }, { metric: 'lat_ms_pixel3', direction: 'min' }],
    budget: { trials: 14 },
    ...overrides,
  });
}

test('a table study: every trial stored with its objectives, counts add up, the front is the non-dominated set', async () => {
  const setup = await prepareStudy(tableConfig());
  const store = await openStore(join(dir, 'a.db'));
  const events: string[] = [];
  const s = await runStudy(setup, { store, reporter: (e) => events.push(e.event) });
  assert.equal(s.counts.complete + s.counts.failed, 14);
  assert.equal(s.counts.total, 14);
  assert.equal(events.filter((e) => e === 'trial_start').length, 14);
  assert.equal(events.filter((e) => e === 'trial_done').length, 14);
  assert.equal(events.at(-1), 'done');
  const done = s.trials.filter((t) => t.state === 'complete');
  const pts = done.map((t) => toMinimization([t.objectives!['c10_valid_12ep']!, t.objectives!['lat_ms_pixel3']!], ['max', 'min']));
  const expected = nonDominatedSort(pts)[0]!.map((i) => done[i]!.id).sort((a, b) => a - b);
  assert.deepEqual(s.pareto.map((t) => t.id).sort((a, b) => a - b), expected);
  assert.ok(s.hypervolume > 0);
  assert.equal(new Set(s.trials.map((t) => JSON.stringify(t.params))).size, 14, 'evolution asked 14 distinct cells');
  await store.close();
  await setup.dispose();
});

test('resume after the process dies mid-trial: the running trial reruns under its id, nothing else repeats, and the study ends as an unbroken one', async () => {
  const unbroken = await openStore(join(dir, 'whole.db'));
  const whole = await runStudy(await prepareStudy(tableConfig()), { store: unbroken });
  await unbroken.close();

  const file = join(dir, 'broken.db');
  const first = await prepareStudy(tableConfig());
  const runs: number[] = [];
  // An executor that "dies" (its promise never settles, like a process killed) at the 6th trial.
  const inline = new InlineExecutor(first.evaluator);
  const dying: Executor = {
    submit: (t, h) => (runs.push(t.trialId), t.number === 5 ? Promise.reject(new Error('killed')) : inline.submit(t, h)),
    close: async () => {},
  };
  const a = await openStore(file);
  await assert.rejects(runStudy(first, { store: a, executor: dying }), /killed/);
  await a.close();

  const b = await openStore(file, { mustExist: true });
  const counting = new InlineExecutor(first.evaluator);
  const again: Executor = { submit: (t, h) => (runs.push(t.trialId), counting.submit(t, h)), close: async () => {} };
  const s = await runStudy(await prepareStudy(tableConfig()), { store: b, resume: true, executor: again });
  await b.close();
  assert.equal(s.counts.total, 14);
  assert.equal(s.counts.running, 0);
  const sixth = s.trials.find((t) => t.number === 5)!;
  assert.equal(sixth.attempts, 2);
  // trial ids 1..6 ran before the crash; 6 ran again; 7..14 once each
  assert.deepEqual(runs, [1, 2, 3, 4, 5, 6, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
  assert.deepEqual(s.trials.map((t) => t.params), whole.trials.map((t) => t.params), 'same candidates, in the same order, as without the crash');
  assert.deepEqual(s.pareto.map((t) => t.number), whole.pareto.map((t) => t.number));
});

test('bad input, each one clear error before anything is stored', async () => {
  const cases: [Record<string, unknown>, string, RegExp][] = [
    [{ space: { params: {} } }, 'SPACE_EMPTY', /no parameters to search/],
    [{ strategy: { name: 'annealing' } }, 'UNKNOWN_STRATEGY', /known: random, grid, evolution, tpe, nsga2/],
    [{ objectives: [{ metric: 'c10_valid_13ep', direction: 'max' }] }, 'SEARCH_OBJECTIVE', /objectives\[0\]\.metric: 'c10_valid_13ep' is not a column/],
  ];
  for (const [o, code, msg] of cases) {
    await assert.rejects(prepareStudy(tableConfig(o)), (e) => isDistilleryError(e) && e.code === code && msg.test(e.message), code);
  }
  const sp = { template: { model: { input: [28, 28, 1], blocks: [{ type: 'flatten' }, { type: 'dense', units: { choice: [8, 16] }, activation: 'relu' }, { type: 'dense', units: 10 }] } } };
  const model = (o: Record<string, unknown>) => studyConfigSchema.parse({ space: sp, data: { source: 'mnist', limit: 200, validation: 50, normalize: 'scale' }, backend: 'cpu', objectives: [{ metric: 'accuracy', direction: 'max' }], ...o });
  await assert.rejects(prepareStudy(model({ objectives: [{ metric: 'acc', direction: 'max' }] })), (e) => isDistilleryError(e) && e.code === 'SEARCH_OBJECTIVE' && /use one of: params, macs/.test(e.hint ?? ''));
  await assert.rejects(prepareStudy(model({ limits: ['macs<=100'] })), (e) => isDistilleryError(e) && e.code === 'SEARCH_LIMITS_UNREACHABLE' && /smallest MACs seen was 6352 against the limit 100/.test(e.message));
  // the last dense block must have the classes' width: no candidate is a valid model
  const headless = { template: { model: { blocks: [{ type: 'flatten' }, { type: 'dense', units: { choice: [8, 16] } }] } } };
  await assert.rejects(prepareStudy(model({ space: headless })), (e) => isDistilleryError(e) && e.code === 'SEARCH_NO_VALID_CANDIDATE' && /^space: none of 500/.test(e.message));
});

test('zero-cost pre-ranking: of `sample` candidates drawn, only the best `keep` by the proxy train', async () => {
  const config = studyConfigSchema.parse({
    name: 'pre', seed: 3, backend: 'wasm', threads: 1,
    data: { source: 'mnist', limit: 600, validation: 100, normalize: 'scale' },
    space: { template: { model: { blocks: [{ type: 'flatten' }, { type: 'dense', units: { choice: [4, 8, 16, 32, 64] }, activation: { choice: ['relu', 'tanh'] } }, { type: 'dense', units: 10 }] } } },
    train: { epochs: 1, batchSize: 50, optimizer: { type: 'adam', lr: 0.003 } },
    strategy: { name: 'random' },
    objectives: [{ metric: 'accuracy', direction: 'max' }],
    preRank: { proxy: 'synflow', sample: 6, keep: 2 },
    budget: { trials: 2 },
  });
  const setup = await prepareStudy(config);
  const store = await openStore(join(dir, 'pre.db'));
  const infos: string[] = [];
  const s = await runStudy(setup, { store, reporter: (e) => e.event === 'info' && infos.push(String(e['message'])) });
  await store.close();
  assert.equal(s.counts.complete, 2);
  const line = infos.find((m) => m.startsWith('pre-ranked 6 candidates'));
  assert.ok(line, infos.join('\n'));
  const listed = /scores ([^)]*)\)/.exec(line!)![1]!.split(', ').map(Number);
  const trained = s.trials.map((t) => Number(setup.preRank!.score(t.params as never).toPrecision(3)));
  assert.deepEqual(trained, listed, 'the two trained are the ones the proxy ranked first, best first');
  assert.ok(listed[0]! >= listed[1]!);
  await setup.dispose();
});
