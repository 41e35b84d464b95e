import test from 'node:test';
import assert from 'node:assert/strict';
import { isDistilleryError } from '../core/errors.ts';
import { modelCost } from '../models/cost.ts';
import { checkSpecLimits, parseLimits, violation, withLimits } from './constraints.ts';
import { materialize } from './materialize.ts';
import { SearchSpace } from './space.ts';
import { strategies } from './strategies/index.ts';
import type { Candidate } from './types.ts';

const space = new SearchSpace({
  template: {
    model: {
      input: [28, 28, 1],
      blocks: [
        { type: 'conv2d', filters: { choice: [8, 16, 32] }, stride: { choice: [1, 2] } },
        { type: 'sepconv', filters: { choice: [16, 32] } },
        { type: 'globalavgpool' },
      ],
    },
  },
});
const check = (limits: ReturnType<typeof parseLimits>) => (c: Candidate) => {
  const r = checkSpecLimits(materialize(space, c).model!, limits, undefined, 10);
  return { violation: r.violation, metrics: r.metrics };
};

test('limits parse, and a violation is the relative excess', () => {
  assert.deepEqual(parseLimits(['macs<=2e6', 'accuracy >= 0.98']), [
    { metric: 'macs', op: '<=', value: 2e6 },
    { metric: 'accuracy', op: '>=', value: 0.98 },
  ]);
  assert.throws(() => parseLimits(['flops<=3']), (e) => isDistilleryError(e) && e.code === 'SEARCH_LIMIT' && e.where === 'limits[0]');
  assert.throws(() => parseLimits(['macs<3']), (e) => isDistilleryError(e) && e.code === 'SEARCH_LIMIT');
  const l = parseLimits(['macs<=2e6', 'accuracy>=0.9']);
  assert.equal(violation({ macs: 3e6, accuracy: 0.95 }, l), 0.5);
  assert.ok(Math.abs(violation({ macs: 1e6, accuracy: 0.81 }, l) - 0.1) < 1e-12);
  assert.equal(violation({ macs: 1e6 }, l), 0); // accuracy not known yet: skipped
});

test('spec limits are checked from the spec alone with the model costs', () => {
  const spec = { input: [28, 28, 1], blocks: [{ type: 'conv2d' as const, filters: 8 }, { type: 'globalavgpool' as const }] };
  const cost = modelCost(spec, undefined, 10);
  const ok = checkSpecLimits(spec, parseLimits([`macs<=${cost.macs}`, `bytesInt8<=${cost.bytes.int8}`, 'latencyMs<=0.001']), undefined, 10);
  assert.equal(ok.ok, true); // the latency limit is left for after evaluation
  assert.equal(ok.metrics.params, cost.params);
  const bad = checkSpecLimits(spec, parseLimits([`params<=${cost.params - 1}`]), undefined, 10);
  assert.equal(bad.ok, false);
  assert.deepEqual(bad.failed.map((f) => f.metric), ['params']);
});

test('withLimits only asks candidates within the limits and tells the strategy about the others', () => {
  const limits = parseLimits(['macs<=200000']);
  const rejected: Candidate[] = [];
  const s = withLimits(strategies.get('random')(space, { seed: 3 }), check(limits), limits, { maxTries: 100, onRejected: (c) => rejected.push(c) });
  for (let i = 0; i < 5; i++) {
    const c = s.ask();
    assert.ok(modelCost(materialize(space, c).model!, undefined, 10).macs <= 200000);
    s.tell(c, { objectives: [1] });
  }
  assert.ok(rejected.length > 0);
  const told = (s.state().history as unknown[]).length;
  assert.equal(told, 5 + rejected.length);
});

test('a limit no candidate can meet fails with a clear message after N samples, not an endless loop', () => {
  const smallest = Math.min(...space.grid().map((c) => modelCost(materialize(space, c).model!, undefined, 10).macs));
  const limits = parseLimits(['macs<=1000']);
  const s = withLimits(strategies.get('random')(space, { seed: 1 }), check(limits), limits, { maxTries: 50 });
  assert.throws(
    () => s.ask(),
    (e) => isDistilleryError(e) && e.code === 'SEARCH_LIMITS_UNREACHABLE' && e.message === `no candidate met the limits after 50 samples: the smallest MACs seen was ${smallest} against the limit 1000`,
  );
});
