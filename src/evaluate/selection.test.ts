import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isDistilleryError } from '../core/errors.ts';
import { initEngine } from '../engine/index.ts';
import { parseLimits, SearchSpace } from '../search/index.ts';
import { trainConfigSchema } from '../train/index.ts';
import { parseDataConfig } from '../data/index.ts';
import { createModelEvaluator } from './model.ts';

const space = new SearchSpace({ template: { model: { blocks: [{ type: 'flatten' }, { type: 'dense', units: { choice: [8, 16] } }] } } });
const train = trainConfigSchema.parse({ epochs: 1, batchSize: 50 });

test('a search without a validation split is refused: candidates are never ranked on the test set', async () => {
  await initEngine({ backend: 'cpu' });
  for (const data of [{ source: 'mnist', limit: 200, testLimit: 100 }, { source: 'mnist', limit: 200, testLimit: 100, validation: 0 }]) {
    await assert.rejects(
      createModelEvaluator({ space, data: parseDataConfig(data), train, seed: 1, objectives: [{ metric: 'accuracy', direction: 'max' }], limits: parseLimits([]) }),
      (e: unknown) => {
        assert.ok(isDistilleryError(e), String(e));
        assert.equal(e.code, 'CONFIG_INVALID');
        assert.equal(e.where, 'data.validation');
        assert.match(e.message, /data\.validation: a search ranks candidates on a validation split, and this config holds none \(the test set is kept for the final, unbiased score, never for selection\)/);
        assert.match(e.hint!, /set data\.validation/);
        return true;
      },
    );
  }
  // with one, the same config is accepted
  const ev = await createModelEvaluator({ space, data: parseDataConfig({ source: 'mnist', limit: 200, testLimit: 100, validation: 50 }), train, seed: 1, objectives: [{ metric: 'accuracy', direction: 'max' }], limits: parseLimits([]) });
  ev.dispose?.();
});
