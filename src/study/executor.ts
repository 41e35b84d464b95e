import type { EvalOutcome, Evaluator } from '../evaluate/index.ts';
import type { Candidate } from '../search/types.ts';

/** Everything a trial needs, as plain JSON (so a worker elsewhere could run it). */
export interface TrialSpec {
  /** The store's trial id: the key results are idempotent by. */
  trialId: number;
  number: number;
  candidate: Candidate;
  seed: number;
  epochs?: number;
  artifactDir?: string;
}

/** In-process hooks for a trial; remote executors relay them (IPC, Redis) to the coordinator. */
export interface TrialHooks {
  /** After each epoch: store the values and answer whether to prune. */
  onEpoch?: (step: number, objectives: number[], metrics: Record<string, number>) => Promise<boolean> | boolean;
  /**
   * The trial started again from scratch (its worker died mid-trial and another one took it):
   * the coordinator clears its partial curve and counts the attempt. `attempt` is 2 for the
   * first retry.
   */
  onRetry?: (attempt: number, why: string) => Promise<void> | void;
}

/**
 * What a study's frozen config is in the store: the validated config and the folder its relative
 * paths start from. Executors ship it to workers so that they build the same evaluator.
 */
export interface FrozenStudy {
  baseDir: string;
  config: unknown;
}

/**
 * Where a trial stands on an executor that outlives the coordinator (Redis): `finished` (its
 * result can be read back), `queued` (waiting or running on a worker), or `unknown` (never
 * submitted, or lost: run it again).
 */
export type TrialStatus = 'finished' | 'queued' | 'unknown';

/**
 * Runs trials. Submitting the same trial id twice gives the same result without running it
 * again, so a retried submission (a worker lost, a message delivered twice) is harmless.
 * `capacity` is how many trials the study loop keeps in flight at once.
 *
 * @example
 * const ex = new InlineExecutor(evaluator);
 * const outcome = await ex.submit({ trialId: 3, number: 2, candidate, seed: 7, epochs: 2 });
 */
export interface Executor {
  /** Trials run at once (default and inline: 1). Read before every ask, so it may change over time. */
  readonly capacity?: number;
  /** `inline`, `pool` or `redis`: reported in the study's `done` event. */
  readonly kind?: string;
  submit(trial: TrialSpec, hooks?: TrialHooks): Promise<EvalOutcome>;
  /** For executors whose trials survive the coordinator: see {@link TrialStatus}. */
  status?(trial: TrialSpec): Promise<TrialStatus>;
  close(): Promise<void>;
}

/**
 * Runs each trial in this process, one at a time, with the study's evaluator.
 *
 * @example
 * const ex = new InlineExecutor(evaluator);
 */
export class InlineExecutor implements Executor {
  readonly capacity = 1;
  readonly kind = 'inline';
  private readonly results = new Map<number, Promise<EvalOutcome>>();

  constructor(private readonly evaluator: Evaluator) {}

  submit(trial: TrialSpec, hooks: TrialHooks = {}): Promise<EvalOutcome> {
    const known = this.results.get(trial.trialId);
    if (known) return known;
    const run = this.evaluator.evaluate({
      trialId: trial.trialId,
      candidate: trial.candidate,
      seed: trial.seed,
      ...(trial.epochs !== undefined ? { epochs: trial.epochs } : {}),
      ...(trial.artifactDir !== undefined ? { artifactDir: trial.artifactDir } : {}),
      ...(hooks.onEpoch ? { onEpoch: hooks.onEpoch } : {}),
    });
    this.results.set(trial.trialId, run);
    return run;
  }

  async close(): Promise<void> {
    this.results.clear();
  }
}
