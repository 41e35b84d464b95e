import { test } from 'node:test';
import assert from 'node:assert/strict';
import { summarizeErrors } from './compare.ts';

test('error summary: the share within ±10%, mean, median, p90', () => {
  const s = summarizeErrors([2, -4, 8, -12, 30].map((errorPct) => ({ errorPct })));
  assert.equal(s.n, 5);
  assert.equal(s.within10, 0.6);
  assert.equal(s.within5, 0.4);
  assert.equal(s.meanAbsPct, 11.2);
  assert.equal(s.medianAbsPct, 8);
  assert.equal(s.p90AbsPct, 30);
  assert.equal(s.maxAbsPct, 30);
});
