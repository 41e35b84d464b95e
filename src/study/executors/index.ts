/**
 * Executors beyond inline: a pool of local worker processes (`--workers N`) and Redis through
 * BullMQ (`--executor redis://…` on the coordinator, `distillery worker --redis …` on each
 * machine that trains). The coordinator stays the only writer of the study store.
 *
 * @example
 * import { PoolExecutor, RedisExecutor, startWorker } from './study/executors/index.ts';
 * const pool = new PoolExecutor({ frozen: { baseDir, config }, workers: 2 });
 */
export { PoolExecutor } from './pool.ts';
export type { PoolOptions } from './pool.ts';
export { ARTIFACT_LIMIT, RedisExecutor } from './redis.ts';
export type { RedisExecutorOptions, TrialJobData, TrialJobResult, TrialProgress } from './redis.ts';
export { startWorker, WORKER_SETTINGS } from './redis-worker.ts';
export type { WorkerHandle, WorkerOptions } from './redis-worker.ts';
export { connectRedis, parseRedisUrl, QUEUE_REGISTRY, studyQueue } from './redis-conn.ts';
export type { RedisTarget } from './redis-conn.ts';
export { TrialRunner } from './runner.ts';
export type { WorkerEngine } from './runner.ts';
