import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isDistilleryError } from '../core/errors.ts';
import type { Store } from './types.ts';

/**
 * One suite over the {@link Store} interface: every store (SQLite now, a remote one later)
 * runs it, as Optuna runs one suite against each of its storages.
 *
 * @example
 * storeConformance('sqlite', async () => ({ store: await openStore(tmpFile()), reopen: () => openStore(tmpFile()) }));
 */
export function storeConformance(name: string, make: () => Promise<{ store: Store; reopen: () => Promise<Store> }>): void {
  test(`${name}: studies, trials, metrics and snapshots round-trip, and survive a reopen`, async () => {
    const { store, reopen } = await make();
    const config = { space: { params: { w: { choice: [8, 16] } } }, nested: [1, 'a', null] };
    const s = await store.createStudy({ name: 'a', config, objectives: ['accuracy', 'macs'], directions: ['max', 'min'], reference: [0, 2e6] });
    await assert.rejects(store.createStudy({ name: 'a', config, objectives: ['x'], directions: ['min'] }), (e) => isDistilleryError(e) && e.code === 'STORE_STUDY_EXISTS');
    const other = await store.createStudy({ name: 'b', config: {}, objectives: ['x'], directions: ['min'] });
    assert.equal((await store.getStudy())!.name, 'b', 'no name: the latest study');
    assert.deepEqual((await store.getStudy('a'))!.config, config);
    assert.deepEqual((await store.getStudy('a'))!.reference, [0, 2e6], 'the reference point is stored with the study');
    assert.deepEqual(other.reference, [null], 'default: open for an objective that is not accuracy');
    await assert.rejects(store.createStudy({ name: 'c', config: {}, objectives: ['x', 'y'], directions: ['min', 'min'], reference: [1] }), /one finite number or null per objective/);

    const added = await store.addTrials(s.id, [{ params: { w: 8 }, spec: { model: { blocks: [] } } }, { params: { w: 16 }, state: 'infeasible', reason: 'macs 3e6 > 2e6', constraintViolation: 0.5, values: { macs: 3e6 } }], { state: { step: 1 } });
    assert.deepEqual(added.map((t) => [t.number, t.state]), [[0, 'running'], [1, 'infeasible']]);
    assert.equal(added[1]!.reason, 'macs 3e6 > 2e6');
    assert.equal(added[1]!.finished !== undefined, true);
    const [t0] = added;
    await store.reportEpoch(t0!.id, 0, { valAccuracy: 0.5 });
    await store.reportEpoch(t0!.id, 1, { valAccuracy: 0.75 });
    const done = await store.finishTrial(t0!.id, { state: 'complete', objectives: [0.75, 1000], constraintViolation: 0, values: { macs: 1000, latencyMs: 0.25 }, artifacts: { model: 'trial-0/model' } }, { state: { step: 2 } });
    assert.equal(done.state, 'complete');
    assert.ok(done.duration! >= 0);
    await assert.rejects(store.finishTrial(t0!.id, { state: 'failed', reason: 'again' }), (e) => isDistilleryError(e) && e.code === 'STORE_TRIAL_FINAL');
    await assert.rejects(store.reportEpoch(t0!.id, 2, { valAccuracy: 1 }), (e) => isDistilleryError(e) && e.code === 'STORE_TRIAL_FINAL');
    await assert.rejects(store.restartTrial(added[1]!.id), (e) => isDistilleryError(e) && e.code === 'STORE_TRIAL_FINAL');

    const [t2] = await store.addTrials(s.id, [{ params: { w: 8 } }]);
    assert.equal(t2!.number, 2);
    await store.reportEpoch(t2!.id, 0, { valAccuracy: 0.1 });
    const again = await store.restartTrial(t2!.id);
    assert.equal(again.attempts, 2);
    assert.deepEqual(await store.metrics(t2!.id), [], 'a restarted trial starts its curve afresh');
    await store.addTrials(other.id, [{ params: { x: 1 } }]);
    await store.close();

    const r = await reopen();
    try {
      const study = (await r.getStudy('a'))!;
      assert.deepEqual(study.directions, ['max', 'min']);
      assert.deepEqual(study.reference, [0, 2e6]);
      const trials = await r.listTrials(study.id);
      assert.deepEqual(trials.map((t) => t.state), ['complete', 'infeasible', 'running']);
      assert.deepEqual(trials[0]!.objectives, [0.75, 1000]);
      assert.deepEqual(trials[0]!.artifacts, { model: 'trial-0/model' });
      assert.deepEqual(trials[0]!.params, { w: 8 });
      assert.deepEqual(trials[0]!.spec, { model: { blocks: [] } });
      assert.deepEqual((await r.metrics(trials[0]!.id)).map((m) => m.values['valAccuracy']), [0.5, 0.75]);
      assert.equal((await r.studyMetrics(study.id)).length, 2);
      assert.deepEqual((await r.listTrials(study.id, { state: 'running' })).map((t) => t.number), [2]);
      assert.deepEqual((await r.lastSnapshot(study.id))!.state, { step: 2 });
      assert.deepEqual(await r.counts(study.id), { running: 1, complete: 1, pruned: 0, failed: 0, infeasible: 1, total: 3 });
      assert.equal((await r.listStudies()).length, 2);
    } finally {
      await r.close();
    }
  });

  test(`${name}: a failed objective (NaN) is stored as missing and reads back as NaN`, async () => {
    const { store } = await make();
    try {
      const s = await store.createStudy({ name: 'n', config: {}, objectives: ['a', 'b'], directions: ['min', 'min'] });
      const [t] = await store.addTrials(s.id, [{ params: {} }]);
      const f = await store.finishTrial(t!.id, { state: 'pruned', reason: 'pruned at step 1', objectives: [0.5, NaN] });
      assert.equal(f.state, 'pruned');
      assert.ok(Number.isNaN(f.objectives![1]!));
      assert.equal(f.objectives![0], 0.5);
    } finally {
      await store.close();
    }
  });
}
