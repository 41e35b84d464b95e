import type { Direction } from '../search/types.ts';

/**
 * The study store's vocabulary. A store holds studies; a study holds trials, each trial its
 * per-epoch metrics; strategy snapshots let a resumed study continue exactly where it stopped.
 */

/** Where a trial stands. Only `running` trials may change; the others are final. */
export type TrialState = 'running' | 'complete' | 'pruned' | 'failed' | 'infeasible';

/** Every final state (the keys of {@link StudyCounts}). */
export const FINAL_STATES = ['complete', 'pruned', 'failed', 'infeasible'] as const;

/** One study: its name, its frozen config and the direction of each objective. */
export interface StudyRecord {
  id: number;
  name: string;
  /** The resolved config the study was started with, as JSON. */
  config: unknown;
  /** One name per objective (a metric or a table column). */
  objectives: string[];
  directions: Direction[];
  /**
   * The hypervolume reference point as fixed when the study was created, one entry per objective
   * (see `studyReference`): a number, or null where the summary works it out from the trials.
   */
  reference: (number | null)[];
  created: string;
}

/** What {@link Store.createStudy} takes. */
export interface NewStudy {
  name: string;
  config: unknown;
  objectives: string[];
  directions: Direction[];
  /** Default: `studyReference(objectives)` (0 for accuracy, the rest from the trials). */
  reference?: readonly (number | null)[] | undefined;
}

/** One trial as stored. */
export interface TrialRecord {
  id: number;
  studyId: number;
  /** 0-based position in the study. */
  number: number;
  state: TrialState;
  /** Why a trial failed, was pruned or was infeasible. */
  reason: string | undefined;
  /** The candidate: parameter values by name. */
  params: Record<string, unknown>;
  /** The frozen candidate spec (the materialized model and training settings). */
  spec: unknown;
  /** One value per objective (complete trials; pruned ones carry their last values when known). */
  objectives: number[] | undefined;
  /** Limit violations (0 = within every limit) and other measured values (params, MACs, latency...). */
  constraintViolation: number | undefined;
  values: Record<string, number>;
  started: string;
  finished: string | undefined;
  /** Seconds from start to finish. */
  duration: number | undefined;
  /** Paths the trial wrote (e.g. `model`: its saved model folder). */
  artifacts: Record<string, string>;
  /** How many times the trial was started (more than 1 when a resumed study reran it). */
  attempts: number;
}

/** A new trial: running, or already final (an infeasible candidate that costs no training). */
export interface NewTrial {
  params: Record<string, unknown>;
  spec?: unknown;
  state?: 'running' | 'infeasible';
  reason?: string;
  constraintViolation?: number;
  values?: Record<string, number>;
}

/** How a running trial ends. */
export interface TrialOutcome {
  state: Exclude<TrialState, 'running'>;
  reason?: string | undefined;
  objectives?: number[] | undefined;
  constraintViolation?: number | undefined;
  values?: Record<string, number> | undefined;
  artifacts?: Record<string, string> | undefined;
}

/** One per-epoch report of a trial. */
export interface MetricRecord {
  trialId: number;
  step: number;
  values: Record<string, number>;
}

/** Trial counts by state. */
export type StudyCounts = Record<TrialState, number> & { total: number };

/**
 * The store every study writes through. Asynchronous, so that a remote store (Redis, HTTP) can
 * implement it; the SQLite store answers at once. A final trial is never changed.
 *
 * @example
 * const store = await openStore('study.db');
 * const study = await store.createStudy({ name: 'mnist', config, objectives: ['accuracy'], directions: ['max'] });
 * const [t] = await store.addTrials(study.id, [{ params: { lr: 0.01 } }], { state: saved });
 * await store.reportEpoch(t.id, 0, { valAccuracy: 0.91 });
 * await store.finishTrial(t.id, { state: 'complete', objectives: [0.93] });
 */
export interface Store {
  readonly path: string;
  readonly readonly: boolean;
  createStudy(s: NewStudy): Promise<StudyRecord>;
  /** The study named `name`, or the only/most recent one when no name is given. */
  getStudy(name?: string): Promise<StudyRecord | undefined>;
  listStudies(): Promise<StudyRecord[]>;
  /**
   * Adds trials (numbered in order) and, in the same transaction, a snapshot of the loop's
   * state taken after the ask that produced them: either all of it is stored or none.
   */
  addTrials(studyId: number, trials: readonly NewTrial[], snapshot?: { state: unknown }): Promise<TrialRecord[]>;
  /** Marks a running trial as started again (a resumed study rerunning it): clears its metrics. */
  restartTrial(trialId: number): Promise<TrialRecord>;
  reportEpoch(trialId: number, step: number, values: Record<string, number>): Promise<void>;
  /** Ends a running trial, with a snapshot of the loop's state after the tell, atomically. Throws `STORE_TRIAL_FINAL` for a final trial. */
  finishTrial(trialId: number, outcome: TrialOutcome, snapshot?: { state: unknown }): Promise<TrialRecord>;
  getTrial(trialId: number): Promise<TrialRecord | undefined>;
  listTrials(studyId: number, opts?: { state?: TrialState }): Promise<TrialRecord[]>;
  metrics(trialId: number): Promise<MetricRecord[]>;
  /** Every trial's metrics in one read (for pruners' histories). */
  studyMetrics(studyId: number): Promise<MetricRecord[]>;
  lastSnapshot(studyId: number): Promise<{ state: unknown; created: string } | undefined>;
  counts(studyId: number): Promise<StudyCounts>;
  close(): Promise<void>;
}
