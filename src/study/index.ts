/**
 * The study: ask -> evaluate -> tell over a store, with an executor in between (inline, a pool
 * of local worker processes, or Redis workers through BullMQ; results are idempotent by trial
 * id), asynchronous (several trials in flight), resumable after a crash, with zero-cost
 * pre-ranking and pruning; its summary of the front is `summarizeStudy` in store/.
 *
 * @example
 * import { search, showStudy } from './study/index.ts';
 * const summary = await search({ config: 'examples/mnist-search.yaml', store: 'runs/mnist.db' });
 * const again = await showStudy('runs/mnist.db');
 */
export { loadStudyConfig, prunerConfigSchema, studyConfigSchema } from './config.ts';
export type { StudyConfig } from './config.ts';
export { InlineExecutor } from './executor.ts';
export type { Executor, FrozenStudy, TrialHooks, TrialSpec, TrialStatus } from './executor.ts';
export { PoolExecutor, RedisExecutor, startWorker, TrialRunner, WORKER_SETTINGS } from './executors/index.ts';
export type { PoolOptions, RedisExecutorOptions, WorkerHandle, WorkerOptions } from './executors/index.ts';
export { prepareStudy } from './setup.ts';
export type { PrepareOptions, StudySetup } from './setup.ts';
export { runStudy } from './loop.ts';
export type { RunStudyOptions } from './loop.ts';
export { search, showStudy } from './search.ts';
export type { SearchOptions } from './search.ts';
