import { DistilleryError } from '../core/errors.ts';

/**
 * Training compute counts one forward pass and a backward pass that costs two (the gradient with
 * respect to the activations and the one with respect to the weights, each a product the size of
 * the forward one): 3 × the forward MACs per sample seen, the convention of Kaplan et al. 2020.
 */
export const TRAIN_MACS_FACTOR = 3;

/** One charge on an arm's account. */
export interface Charge {
  /** What was paid for, e.g. `teacher logits`, `trial 3`, `final`. */
  what: string;
  macs: number;
}

/**
 * The MACs of training a model of `macsPerSample` forward MACs for `epochs` epochs over `samples`
 * samples: forward + backward over every sample seen.
 *
 * @example
 * trainingMacs(79_400, 1000, 2); // 3 · 79,400 · 1,000 · 2 = 476,400,000
 */
export function trainingMacs(macsPerSample: number, samples: number, epochs: number): number {
  return TRAIN_MACS_FACTOR * macsPerSample * samples * epochs;
}

/**
 * The MACs of the teacher's forward passes a distillation needs: once over the training set when
 * its logits are cached (however many epochs the student then trains), once per epoch when the
 * teacher must see each augmented batch itself (`online`).
 *
 * @example
 * teacherMacs(2_395_200, 1000, 5, false); // 2,395,200,000: counted once
 */
export function teacherMacs(teacherMacsPerSample: number, samples: number, epochs: number, online: boolean): number {
  return teacherMacsPerSample * samples * (online ? epochs : 1);
}

/**
 * One arm's budget, in training MACs: every run and teacher pass is charged here, and an arm
 * asks it how many epochs of a model it can still afford. Evaluation on the validation split is
 * not training and is not charged.
 *
 * @example
 * const acct = new BudgetAccount(1e9);
 * acct.charge('teacher logits', teacherMacs(2e5, 1000, 1, false));
 * acct.affordableEpochs(79_400, 1000); // 3
 */
export class BudgetAccount {
  readonly charges: Charge[] = [];

  constructor(readonly total: number) {}

  /** MACs charged so far. */
  get spent(): number {
    return this.charges.reduce((a, c) => a + c.macs, 0);
  }

  get remaining(): number {
    return this.total - this.spent;
  }

  charge(what: string, macs: number): void {
    if (!(macs >= 0) || !Number.isFinite(macs)) throw new DistilleryError('COMPARE_INTERNAL', `charge '${what}': ${macs} is not a MAC count`);
    this.charges.push({ what, macs });
  }

  /** Whole epochs of a model (forward MACs per sample, samples per epoch) that the remaining budget pays for; `extraPerEpoch` is charged on top of each (an online teacher). */
  affordableEpochs(macsPerSample: number, samples: number, extraPerEpoch = 0, of = this.remaining): number {
    const perEpoch = trainingMacs(macsPerSample, samples, 1) + extraPerEpoch;
    return perEpoch > 0 ? Math.max(0, Math.floor(of / perEpoch + 1e-9)) : 0;
  }
}
