import type { Candidate } from '../search/types.ts';

/**
 * The evaluator's contract: one candidate in, its metrics out. An evaluator never searches; the
 * study loop decides what to evaluate and for how long.
 */

/** What a trial ended as, from the evaluator's side (the store adds `running`). */
export type EvalState = 'complete' | 'pruned' | 'failed' | 'infeasible';

/** One candidate to evaluate, with its budget and the hooks the study loop listens on. */
export interface EvalRequest {
  /** The store's trial id: results are idempotent by it, and it seeds the training. */
  trialId: number;
  candidate: Candidate;
  /** Seeds the model's initial weights and the batch order (default: the trial id). */
  seed?: number;
  /** Most epochs this trial may train (the pruner's or scheduler's budget). */
  epochs?: number;
  /** Folder for the trial's artifacts (its saved model). */
  artifactDir?: string;
  /**
   * Called after each epoch with the values the pruner ranks on (one per objective; NaN where
   * not yet known); answering true stops the trial as pruned.
   */
  onEpoch?: (step: number, objectives: number[], metrics: Record<string, number>) => Promise<boolean> | boolean;
}

/** What an evaluation found. */
export interface EvalOutcome {
  state: EvalState;
  /** Why it was pruned, failed or infeasible (`CODE: message` for errors). */
  reason?: string;
  /** One value per objective, in the study's order (complete trials; last known values for pruned ones). */
  objectives?: number[];
  /** How far the candidate breaks the limits (0: within them all). */
  constraintViolation: number;
  /** Everything measured: params, macs, bytes, accuracy, latencyMs, epochs, seconds... */
  values: Record<string, number>;
  /** Paths written, e.g. `{ model: '/…/trial-3/model' }`. */
  artifacts: Record<string, string>;
  /** The frozen candidate spec (model spec and training settings) the trial used. */
  spec?: unknown;
}

/**
 * Evaluates candidates. `check` is the cheap part (limits known from the spec alone), run before
 * any training so that infeasible candidates cost nothing.
 *
 * @example
 * const pre = ev.check(c);
 * const out = pre.violation > 0 ? undefined : await ev.evaluate({ trialId: 1, candidate: c, epochs: 2 });
 */
export interface Evaluator {
  /** Objective names, in order (metrics or table columns). */
  readonly objectives: readonly string[];
  /** Spec-only limits: violation 0 means the candidate may be trained; `reason` names what failed. */
  check(c: Candidate): { violation: number; metrics: Record<string, number>; reason?: string; spec?: unknown };
  evaluate(req: EvalRequest): Promise<EvalOutcome>;
  /** Frees what the evaluator holds (data, teacher, engine-side tensors). */
  dispose(): Promise<void>;
}
