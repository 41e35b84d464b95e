/**
 * The study: ask -> evaluate -> tell over a store, with an executor in between (inline now;
 * worker pools and Redis later, since results are idempotent by trial id), resumable after a
 * crash, with zero-cost pre-ranking, pruning, and a summary of the front.
 *
 * @example
 * import { search, showStudy } from './study/index.ts';
 * const summary = await search({ config: 'examples/mnist-search.yaml', store: 'runs/mnist.db' });
 * const again = await showStudy('runs/mnist.db');
 */
export { loadStudyConfig, prunerConfigSchema, studyConfigSchema } from './config.ts';
export type { StudyConfig } from './config.ts';
export { InlineExecutor } from './executor.ts';
export type { Executor, TrialHooks, TrialSpec } from './executor.ts';
export { prepareStudy } from './setup.ts';
export type { PrepareOptions, StudySetup } from './setup.ts';
export { runStudy } from './loop.ts';
export type { RunStudyOptions } from './loop.ts';
export { formatSummary, summarizeStudy } from './summary.ts';
export type { StudySummary, TrialRow } from './summary.ts';
export { search, showStudy } from './search.ts';
export type { SearchOptions } from './search.ts';
