import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DistilleryEvent } from '../../core/events.ts';
import { openStore } from '../../store/index.ts';
import { studyConfigSchema } from '../config.ts';
import { runStudy } from '../loop.ts';
import { prepareStudy } from '../setup.ts';
import { PoolExecutor } from './pool.ts';

const dir = mkdtempSync(join(tmpdir(), 'distillery-pool-'));

// Plain MLPs on 1,000 MNIST images, wasm on 1 thread (deterministic), random strategy: its asks do
// not depend on tells, so inline and pooled studies train the same candidates under the same seeds.
const raw = {
  name: 'pool', seed: 4, backend: 'wasm', threads: 1,
  data: { source: 'mnist', limit: 1000, validation: 200, normalize: 'scale' },
  space: { template: { model: { blocks: [{ type: 'flatten' }, { type: 'dense', units: { choice: [8, 16, 24, 32, 48] }, activation: { choice: ['relu', 'tanh'] } }, { type: 'dense', units: 10 }] }, train: { lr: { float: [0.002, 0.01], log: true } } } },
  train: { epochs: 2, batchSize: 50, optimizer: { type: 'adam' } },
  strategy: { name: 'random' },
  objectives: [{ metric: 'accuracy', direction: 'max' }, { metric: 'params', direction: 'min' }],
  budget: { trials: 4 },
};

/** Most trials in flight at once, from the events. */
function peak(events: DistilleryEvent[]): number {
  const open = new Set<unknown>();
  let most = 0;
  for (const e of events) {
    if (e.event === ('trial_start' as string)) open.add(e['trial']);
    if (e.event === ('trial_done' as string)) open.delete(e['trial']);
    most = Math.max(most, open.size);
  }
  return most;
}

test('a pool of 2 workers: the same 4 trials and objectives as inline, 2 at a time, counted once; a killed worker loses nothing', async () => {
  const config = studyConfigSchema.parse(raw);
  const inlineStore = await openStore(join(dir, 'inline.db'));
  const inlineSetup = await prepareStudy(config);
  const inline = await runStudy(inlineSetup, { store: inlineStore });
  await inlineStore.close();

  const store = await openStore(join(dir, 'pool.db'));
  const pool = new PoolExecutor({ frozen: { baseDir: process.cwd(), config }, workers: 2 });
  const events: DistilleryEvent[] = [];
  let killed: number | undefined;
  const s = await runStudy(inlineSetup, {
    store, executor: pool,
    reporter: (e) => {
      events.push(e);
      // kill -9 the worker of the third trial after its first epoch: the trial must start again elsewhere
      if (killed === undefined && e.event === ('trial_epoch' as string) && e['number'] === 2 && e['step'] === 0) {
        killed = pool.workerOf(e['trial'] as number);
        process.kill(killed!, 'SIGKILL');
      }
    },
  });
  await store.close();
  await inlineSetup.dispose();
  assert.ok(killed, 'a worker was killed');
  assert.equal(s.counts.complete, 4);
  assert.equal(s.counts.total, 4);
  assert.equal(peak(events), 2, 'two trials in flight at once, never more');
  const done = events.at(-1)!;
  assert.equal(done['executor'], 'pool');
  assert.equal(done['workers'], 2);
  const byNumber = <T extends { number: number }>(t: T[]): T[] => [...t].sort((a, b) => a.number - b.number);
  const a = byNumber(inline.trials);
  const b = byNumber(s.trials);
  assert.deepEqual(b.map((t) => t.params), a.map((t) => t.params), 'same candidates under the same numbers');
  for (let i = 0; i < 4; i++) {
    for (const k of ['accuracy', 'params'] as const) assert.ok(Math.abs(b[i]!.objectives![k]! - a[i]!.objectives![k]!) <= 1e-6, `trial ${i} ${k}: ${b[i]!.objectives![k]} vs ${a[i]!.objectives![k]}`);
    assert.ok(existsSync(join(b[i]!.model!, 'model.json')), 'the worker saved the model into the trial folder');
  }
  // every trial number once; the killed one started twice, the attempt recorded
  assert.deepEqual(b.map((t) => t.number), [0, 1, 2, 3]);
  const starts = events.filter((e) => e.event === ('trial_start' as string) && e['number'] === 2);
  assert.equal(starts.length, 2);
  assert.equal(starts[1]!['attempt'], 2);
});
