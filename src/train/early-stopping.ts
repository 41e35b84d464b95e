import { DistilleryError } from '../core/errors.ts';

/** Stop when a validation metric has not improved for `patience` epochs. */
export interface EarlyStoppingOptions {
  metric: 'valLoss' | 'valAccuracy';
  /** Epochs without improvement before stopping. */
  patience: number;
  /** An improvement smaller than this does not count; default 0. */
  minDelta?: number | undefined;
  /** Put the best epoch's weights back at the end; default true. */
  restoreBest?: boolean | undefined;
}

/** What the stopper remembers; saved in checkpoints. */
export interface EarlyStoppingState {
  best: number | null;
  /** 1-based epoch of the best value, 0 before the first. */
  bestEpoch: number;
  /** Epochs since the last improvement. */
  wait: number;
}

/**
 * Tracks the monitored metric epoch by epoch.
 *
 * @example
 * const es = new EarlyStopper({ metric: 'valLoss', patience: 3 });
 * const { improved, stop } = es.update(1, { valLoss: 0.3 });
 */
export class EarlyStopper {
  private s: EarlyStoppingState = { best: null, bestEpoch: 0, wait: 0 };
  constructor(readonly opts: EarlyStoppingOptions) {
    if (!(opts.patience >= 0)) {
      throw new DistilleryError('TRAIN_BAD_EARLY_STOPPING', `earlyStopping.patience must be >= 0, got ${opts.patience}`, 'set train.earlyStopping.patience, e.g. 5', 'train.earlyStopping.patience');
    }
  }

  /** Record epoch `epoch`'s metrics; says whether it is the new best and whether to stop. */
  update(epoch: number, metrics: { valLoss?: number | undefined; valAccuracy?: number | undefined }): { improved: boolean; stop: boolean } {
    const value = metrics[this.opts.metric];
    if (value === undefined) {
      throw new DistilleryError('TRAIN_EARLY_STOP_NO_VALIDATION', `early stopping watches ${this.opts.metric} but there is no validation set`, 'give a validation set (data.validation) or remove train.earlyStopping', 'train.earlyStopping.metric');
    }
    const delta = this.opts.minDelta ?? 0;
    const best = this.s.best;
    const improved = best === null || (this.opts.metric === 'valLoss' ? value < best - delta : value > best + delta);
    if (improved) this.s = { best: value, bestEpoch: epoch, wait: 0 };
    else this.s = { ...this.s, wait: this.s.wait + 1 };
    return { improved, stop: !improved && this.s.wait >= this.opts.patience };
  }

  state(): EarlyStoppingState {
    return { ...this.s };
  }

  restore(state: EarlyStoppingState): void {
    this.s = { ...state };
  }
}
