/**
 * The study store: studies, trials (running, complete, pruned, failed, infeasible, with the
 * reason), frozen candidate specs, per-epoch metrics, objectives, artifact paths and the loop's
 * snapshots, in SQLite (WAL), and each study's hypervolume reference point. `Store` is the
 * interface a remote store would implement. `summarizeStudy` reads a study back as its trials,
 * Pareto front and hypervolume: what the search's done event, `search show`, the report and
 * the dashboard show.
 *
 * @example
 * import { openStore, summarizeStudy } from './store/index.ts';
 * const store = await openStore('study.db', { readonly: true });
 * const study = await store.getStudy();
 * console.log(await store.counts(study!.id), (await summarizeStudy(store, study!)).hypervolume);
 */
export { FINAL_STATES } from './types.ts';
export type { MetricRecord, NewStudy, NewTrial, Store, StudyCounts, StudyRecord, TrialOutcome, TrialRecord, TrialState } from './types.ts';
export { openStore, SCHEMA_VERSION, SqliteStore } from './sqlite.ts';
export type { OpenStoreOptions } from './sqlite.ts';
export { formatSummary, studyReference, summarizeStudy } from './summary.ts';
export type { StudySummary, TrialRow } from './summary.ts';
