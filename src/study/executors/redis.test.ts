import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDistilleryError } from '../../core/errors.ts';
import { Rng } from '../../core/rng.ts';
import { SearchSpace } from '../../search/index.ts';
import { redisSkip, startRedis } from '../../../test/helpers/redis.ts';
import type { RedisServer } from '../../../test/helpers/redis.ts';
import { studyConfigSchema } from '../config.ts';
import type { TrialSpec } from '../executor.ts';
import { PoolExecutor } from './pool.ts';
import { RedisExecutor } from './redis.ts';
import { parseRedisUrl, studyQueue } from './redis-conn.ts';
import { startWorker } from './redis-worker.ts';

const dir = mkdtempSync(join(tmpdir(), 'distillery-redis-'));
const config = studyConfigSchema.parse({
  name: 'unit', seed: 2, backend: 'wasm', threads: 1,
  data: { source: 'mnist', limit: 600, validation: 100, normalize: 'scale' },
  space: { template: { model: { blocks: [{ type: 'flatten' }, { type: 'dense', units: { choice: [8, 16] }, activation: 'relu' }, { type: 'dense', units: 10 }] } } },
  train: { epochs: 3, batchSize: 50, optimizer: { type: 'adam', lr: 0.003 } },
  strategy: { name: 'random' },
  objectives: [{ metric: 'accuracy', direction: 'max' }],
});
const frozen = { baseDir: process.cwd(), config };
const candidate = new SearchSpace(config.space, 'space').sample(new Rng(1));
const trial = (id: number): TrialSpec => ({ trialId: id, number: id - 1, candidate, seed: 5, epochs: 3, artifactDir: join(dir, `trial-${id}`) });

test('Redis URLs: password redacted in every form, bad ones refused with REDIS_URL', () => {
  const t = parseRedisUrl('redis://:s3cr%40t@10.0.0.5:6380/2');
  assert.equal(t.shown, 'redis://:***@10.0.0.5:6380/2');
  assert.deepEqual([t.options.host, t.options.port, t.options.password, t.options.db], ['10.0.0.5', 6380, 's3cr@t', 2]);
  assert.equal(parseRedisUrl('redis://127.0.0.1').options.port, 6379);
  for (const bad of ['http://:pw@host:1', 'redis://:pw@host:1/x', 'not a url :pw@']) {
    assert.throws(() => parseRedisUrl(bad), (e) => isDistilleryError(e) && e.code === 'REDIS_URL' && !e.message.includes('pw@'), bad);
  }
  const q = studyQueue('/runs/a b.db', 'my study:1');
  assert.match(q.queue, /^distillery-my_study_1-[0-9a-f]{10}$/);
  assert.notEqual(q.queue, studyQueue('/runs/other.db', 'my study:1').queue, 'the store path is part of the name');
});

test('pool: a verdict to prune after the first epoch reaches the worker over IPC', async () => {
  const pool = new PoolExecutor({ frozen, workers: 1 });
  try {
    const steps: number[] = [];
    const out = await pool.submit(trial(1), { onEpoch: (step) => (steps.push(step), step === 0) });
    assert.equal(out.state, 'pruned');
    assert.match(out.reason ?? '', /pruned after epoch 1 of 3/);
    assert.deepEqual(steps, [0]);
  } finally {
    await pool.close();
  }
});

const skip = redisSkip();
let server: RedisServer | undefined;
after(async () => server?.stop());

test('redis: progress comes back per epoch, the pruning verdict reaches the worker, the model comes back as files', { skip }, async () => {
  server = await startRedis('pw1');
  const worker = await startWorker({ redis: server.url, verdictWaitMs: 10_000 });
  const ex = await RedisExecutor.connect(server.url, { frozen, storePath: join(dir, 's.db'), study: 'unit', capacity: 1 });
  try {
    const steps: number[] = [];
    const pruned = await ex.submit(trial(1), { onEpoch: (step) => (steps.push(step), step === 1) });
    assert.equal(pruned.state, 'pruned', pruned.reason);
    assert.match(pruned.reason ?? '', /pruned after epoch 2 of 3/);
    assert.deepEqual(steps, [0, 1]);
    const full = await ex.submit(trial(2), {});
    assert.equal(full.state, 'complete');
    assert.ok(full.objectives![0]! > 0.3, String(full.objectives));
    assert.equal(full.artifacts['model'], join(dir, 'trial-2', 'model'));
    assert.ok(existsSync(join(dir, 'trial-2', 'model', 'model.json')));
    // The same trial id again (a resumed coordinator): read back from the job, not run again.
    const again = await RedisExecutor.connect(server.url, { frozen, storePath: join(dir, 's.db'), study: 'unit', capacity: 1 });
    assert.equal(await again.status(trial(2)), 'finished');
    assert.equal(await again.status(trial(9)), 'unknown');
    const read = await again.submit(trial(2), { onEpoch: () => assert.fail('not trained again') });
    assert.deepEqual(read.objectives, full.objectives);
    await again.close();
  } finally {
    await ex.close();
    await worker.close();
  }
});
