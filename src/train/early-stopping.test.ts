import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EarlyStopper } from './early-stopping.ts';
import { epochOrder } from './seeding.ts';

test('valLoss: an improvement must beat the best by more than minDelta; stop after patience misses', () => {
  const es = new EarlyStopper({ metric: 'valLoss', patience: 2, minDelta: 0.01 });
  const seq = [1.0, 0.95, 0.945, 0.96];
  const out = seq.map((v, i) => es.update(i + 1, { valLoss: v }));
  // 0.945 is within minDelta of 0.95: a miss; 0.96 a second miss and patience 2 is reached
  assert.deepEqual(out, [{ improved: true, stop: false }, { improved: true, stop: false }, { improved: false, stop: false }, { improved: false, stop: true }]);
  assert.deepEqual(es.state(), { best: 0.95, bestEpoch: 2, wait: 2 });
  const acc = new EarlyStopper({ metric: 'valAccuracy', patience: 1 });
  assert.equal(acc.update(1, { valAccuracy: 0.5 }).improved, true);
  assert.equal(acc.update(2, { valAccuracy: 0.6 }).improved, true);
  assert.deepEqual(acc.update(3, { valAccuracy: 0.55 }), { improved: false, stop: true });
  const restored = new EarlyStopper({ metric: 'valAccuracy', patience: 1 });
  restored.restore({ best: 0.6, bestEpoch: 2, wait: 0 });
  assert.deepEqual(restored.update(3, { valAccuracy: 0.55 }), { improved: false, stop: true });
});

test('epoch orders: a permutation fixed by (seed, epoch), different across epochs and seeds', () => {
  const a = epochOrder(1, 0, 50);
  assert.deepEqual([...a].sort((x, y) => x - y), Array.from({ length: 50 }, (_, i) => i));
  assert.deepEqual(epochOrder(1, 0, 50), a);
  assert.notDeepEqual(epochOrder(1, 1, 50), a);
  assert.notDeepEqual(epochOrder(2, 0, 50), a);
});
