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

/** In-process hooks for a trial (a remote executor reports through the store instead). */
export interface TrialHooks {
  /** After each epoch: store the values and answer whether to prune. */
  onEpoch?: (step: number, objectives: number[], metrics: Record<string, number>) => Promise<boolean> | boolean;
}

/**
 * Runs trials. Submitting the same trial id twice gives the same result without running it
 * again, so a retried submission (a worker lost, a message delivered twice) is harmless.
 *
 * @example
 * const ex = new InlineExecutor(evaluator);
 * const outcome = await ex.submit({ trialId: 3, number: 2, candidate, seed: 7, epochs: 2 });
 */
export interface Executor {
  submit(trial: TrialSpec, hooks?: TrialHooks): Promise<EvalOutcome>;
  close(): Promise<void>;
}

/**
 * Runs each trial in this process, one at a time, with the study's evaluator.
 *
 * @example
 * const ex = new InlineExecutor(evaluator);
 */
export class InlineExecutor implements Executor {
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
