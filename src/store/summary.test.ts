import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from './sqlite.ts';
import { formatSummary, studyReference, summarizeStudy } from './summary.ts';

test('studyReference: the limit on an objective, else 0 for accuracy, else open', () => {
  assert.deepEqual(studyReference(['accuracy', 'macs'], [{ metric: 'macs', value: 30000 }]), [0, 30000]);
  assert.deepEqual(studyReference(['accuracy', 'params'], [{ metric: 'macs', value: 30000 }]), [0, null]);
  assert.deepEqual(studyReference(['accuracy', 'latencyMs'], [{ metric: 'accuracy', value: 0.9 }, { metric: 'latencyMs', value: 2 }]), [0.9, 2]);
});

test('summarizeStudy measures the front against the reference stored with the study, filling open entries from the trials', async () => {
  const store = await openStore(join(mkdtempSync(join(tmpdir(), 'distillery-summary-')), 'study.db'));
  try {
    const objectives = ['accuracy', 'macs'];
    const fixed = await store.createStudy({ name: 'fixed', config: {}, objectives, directions: ['max', 'min'], reference: [0, 30000] });
    const open = await store.createStudy({ name: 'open', config: {}, objectives, directions: ['max', 'min'] });
    for (const st of [fixed, open]) {
      const ts = await store.addTrials(st.id, [{ params: { u: 16 } }, { params: { u: 32 } }, { params: { u: 8 } }]);
      await store.finishTrial(ts[0]!.id, { state: 'complete', objectives: [0.8, 12704], constraintViolation: 0 });
      await store.finishTrial(ts[1]!.id, { state: 'complete', objectives: [0.7, 25408], constraintViolation: 0 }); // dominated
      await store.finishTrial(ts[2]!.id, { state: 'complete', objectives: [0.6, 6352], constraintViolation: 0 });
    }
    const a = await summarizeStudy(store, fixed);
    assert.deepEqual(a.reference, [0, 30000]);
    assert.deepEqual(a.pareto.map((t) => t.number), [0, 2]);
    // Two boxes against (0, 30000): 0.8 · (30000 − 12704) plus 0.6 · (12704 − 6352).
    assert.ok(Math.abs(a.hypervolume - (0.8 * (30000 - 12704) + 0.6 * (12704 - 6352))) < 1e-6, String(a.hypervolume));
    const b = await summarizeStudy(store, open);
    // MACs open: the worst feasible value pushed 10% of the range further.
    assert.deepEqual(b.reference, [0, 25408 + 0.1 * (25408 - 6352)]);
    assert.match(formatSummary(a), /Pareto front \(2\), hypervolume .* against \(0, 30,000\)/);
  } finally {
    await store.close();
  }
});
