import { test } from 'node:test';
import assert from 'node:assert/strict';
import { modelCost } from '../models/index.ts';
import { BudgetAccount, teacherMacs, trainingMacs } from './budget.ts';

// Hand-computed: the MLP 784-100-10 has 784·100 + 100·10 = 79,400 forward MACs per sample.
const MLP = { blocks: [{ type: 'flatten' as const }, { type: 'dense' as const, units: 100, activation: 'relu' as const }, { type: 'dense' as const, units: 10 }] };

test('one epoch of a known MLP: 3 × 79,400 MACs × samples (forward + a backward that costs two forwards)', () => {
  const macs = modelCost(MLP, [28, 28, 1], 10).macs;
  assert.equal(macs, 79_400);
  assert.equal(trainingMacs(macs, 1000, 1), 238_200_000);
  assert.equal(trainingMacs(macs, 1000, 5), 5 * 238_200_000);
});

test('a cached teacher is counted once however many epochs the student trains; an online one every epoch', () => {
  // teacher 784-1200-1200-10: 784·1200 + 1200·1200 + 1200·10 = 2,392,800 MACs per sample
  const t = modelCost({ blocks: [{ type: 'flatten' }, { type: 'dense', units: 1200 }, { type: 'dense', units: 1200 }, { type: 'dense', units: 10 }] }, [28, 28, 1], 10).macs;
  assert.equal(t, 2_392_800);
  assert.equal(teacherMacs(t, 1000, 1, false), 2_392_800_000);
  assert.equal(teacherMacs(t, 1000, 30, false), 2_392_800_000);
  assert.equal(teacherMacs(t, 1000, 30, true), 30 * 2_392_800_000);
});

test('the account: charges add up, and it affords only whole epochs that fit what is left', () => {
  const acct = new BudgetAccount(20 * 238_200_000);
  acct.charge('teacher logits', 2_392_800_000); // 10.05 student epochs
  assert.equal(acct.spent, 2_392_800_000);
  assert.equal(acct.remaining, 20 * 238_200_000 - 2_392_800_000);
  assert.equal(acct.affordableEpochs(79_400, 1000), 9); // 9.95 epochs left: 9 fit
  assert.equal(acct.affordableEpochs(79_400, 1000, 0, 238_200_000), 1); // exactly one
  assert.equal(acct.affordableEpochs(79_400, 1000, 238_200_000), 4); // an online teacher doubling each epoch
  assert.throws(() => acct.charge('bad', Number.NaN), /not a MAC count/);
});
