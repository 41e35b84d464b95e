import { DistilleryError } from '../core/errors.ts';

/** Warm-up shared by every schedule: the lr ramps linearly from base/N to base over N steps. */
export interface WarmupConfig {
  /** Warm-up length in epochs (converted to steps with the steps per epoch). */
  warmupEpochs?: number;
  /** Warm-up length in steps; added to `warmupEpochs` when both are given. */
  warmupSteps?: number;
}

/** How the learning rate moves over a run; every schedule takes an optional warm-up. */
export type ScheduleConfig =
  | ({ type: 'constant' } & WarmupConfig)
  /** Multiply by `gamma` every `stepEpochs` epochs (counted from the start of the run). */
  | ({ type: 'step'; stepEpochs: number; gamma?: number } & WarmupConfig)
  /** Half a cosine from the base lr down to `minLr` over the steps after warm-up. */
  | ({ type: 'cosine'; minLr?: number } & WarmupConfig);

/** What a schedule needs to know about the run. */
export interface ScheduleRun {
  baseLr: number;
  epochs: number;
  stepsPerEpoch: number;
}

/** Learning rate for a 0-based global step (epoch * stepsPerEpoch + batch). */
export type Schedule = (step: number) => number;

/**
 * Make a per-step learning-rate function. It is stateless: the position to save in a
 * checkpoint is just the global step.
 *
 * @example
 * const lr = createSchedule({ type: 'cosine', minLr: 0, warmupEpochs: 1 }, { baseLr: 0.1, epochs: 10, stepsPerEpoch: 100 });
 * lr(0);   // 0.001 (warm-up: 1/100 of base)
 * lr(100); // 0.1   (cosine starts after warm-up)
 */
export function createSchedule(config: ScheduleConfig, run: ScheduleRun): Schedule {
  const { baseLr, epochs, stepsPerEpoch } = run;
  const total = epochs * stepsPerEpoch;
  const warm = Math.round((config.warmupEpochs ?? 0) * stepsPerEpoch) + (config.warmupSteps ?? 0);
  if (warm < 0 || !Number.isFinite(warm)) {
    throw new DistilleryError('TRAIN_BAD_SCHEDULE', `warm-up must be a non-negative number of epochs or steps, got ${warm} steps`, 'set train.schedule.warmupEpochs to 0 or more', 'train.schedule.warmupEpochs');
  }
  let main: Schedule;
  switch (config.type) {
    case 'constant':
      main = () => baseLr;
      break;
    case 'step': {
      const every = config.stepEpochs;
      const gamma = config.gamma ?? 0.1;
      if (!(every >= 1)) {
        throw new DistilleryError('TRAIN_BAD_SCHEDULE', `step schedule needs stepEpochs >= 1, got ${every}`, 'set train.schedule.stepEpochs, e.g. 30', 'train.schedule.stepEpochs');
      }
      main = (s) => baseLr * Math.pow(gamma, Math.floor(Math.floor(s / stepsPerEpoch) / every));
      break;
    }
    case 'cosine': {
      const minLr = config.minLr ?? 0;
      const span = Math.max(1, total - warm);
      main = (s) => {
        const p = Math.min(1, Math.max(0, (s - warm) / span));
        return minLr + (baseLr - minLr) * 0.5 * (1 + Math.cos(Math.PI * p));
      };
      break;
    }
    default:
      throw new DistilleryError('UNKNOWN_SCHEDULE', `unknown schedule '${String((config as { type: unknown }).type)}'; known: constant, step, cosine`, 'set train.schedule.type to constant, step or cosine', 'train.schedule.type');
  }
  if (warm === 0) return main;
  // (s+1)/warm so that the first step already moves; the ramp ends exactly at the main schedule's value.
  return (s) => (s < warm ? (main(warm) * (s + 1)) / warm : main(s));
}
