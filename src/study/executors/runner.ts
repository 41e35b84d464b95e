import { createHash } from 'node:crypto';
import { validateConfig } from '../../config/index.ts';
import type { EvalOutcome } from '../../evaluate/index.ts';
import { studyConfigSchema } from '../config.ts';
import type { FrozenStudy, TrialSpec } from '../executor.ts';
import { prepareStudy } from '../setup.ts';
import type { StudySetup } from '../setup.ts';

/** Engine settings a worker imposes on every study it runs (its own cores, not the coordinator's). */
export interface WorkerEngine {
  backend?: string;
  threads?: number;
}

/**
 * The worker side of every executor: builds a study's evaluator once per study config (data
 * loaded and teacher logits computed once per worker) and trains the trials it is handed.
 *
 * @example
 * const runner = new TrialRunner({ threads: 1 });
 * const outcome = await runner.run(frozen, spec, (step, objectives) => false);
 */
export class TrialRunner {
  private readonly setups = new Map<string, Promise<StudySetup>>();

  constructor(private readonly engine: WorkerEngine = {}) {}

  /** A stable key of a frozen study (its config and base folder). */
  static keyOf(frozen: FrozenStudy): string {
    return createHash('sha256').update(JSON.stringify(frozen)).digest('hex').slice(0, 16);
  }

  /** The study's setup, prepared on first use (errors such as missing data files surface here). */
  prepare(frozen: FrozenStudy): Promise<StudySetup> {
    const key = TrialRunner.keyOf(frozen);
    let setup = this.setups.get(key);
    if (!setup) {
      const raw = { ...(frozen.config as Record<string, unknown>) };
      if (this.engine.backend) raw['backend'] = this.engine.backend;
      if (this.engine.threads) raw['threads'] = this.engine.threads;
      setup = prepareStudy(validateConfig(studyConfigSchema, raw, 'study config'), { baseDir: frozen.baseDir });
      // A failed preparation is not cached: a later job (after the user fixed the files) retries it.
      setup.catch(() => this.setups.delete(key));
      this.setups.set(key, setup);
    }
    return setup;
  }

  /** Trains one trial with the study's evaluator; `onEpoch` answers whether to prune. */
  async run(frozen: FrozenStudy, trial: TrialSpec, onEpoch?: (step: number, objectives: number[], metrics: Record<string, number>) => Promise<boolean> | boolean): Promise<EvalOutcome> {
    const setup = await this.prepare(frozen);
    return setup.evaluator.evaluate({
      trialId: trial.trialId,
      candidate: trial.candidate,
      seed: trial.seed,
      ...(trial.epochs !== undefined ? { epochs: trial.epochs } : {}),
      ...(trial.artifactDir !== undefined ? { artifactDir: trial.artifactDir } : {}),
      ...(onEpoch ? { onEpoch } : {}),
    });
  }

  async dispose(): Promise<void> {
    for (const s of this.setups.values()) await s.then((x) => x.dispose()).catch(() => {});
    this.setups.clear();
  }
}
