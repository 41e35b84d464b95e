import { DistilleryError } from '../core/errors.ts';
import { rankAndCrowd, toMinimization } from './pareto.ts';
import type { Direction } from './types.ts';

/** A trial's id as the study store gives it. */
export type TrialId = string | number;
/** A trial's intermediate values by step (epoch): one number, or one per objective. */
export type Curve = ReadonlyArray<number | readonly number[] | undefined>;
/** Every trial's curve so far, the pruned one included. */
export type PruneHistory = ReadonlyMap<TrialId, Curve>;

/**
 * Decides, after a trial reports a value at a step, whether to stop it.
 *
 * @example
 * if (pruner.shouldPrune(trial.id, epoch, history)) return { state: 'pruned' };
 */
export interface Pruner {
  shouldPrune(trial: TrialId, step: number, history: PruneHistory): boolean;
}

const scalar = (v: number | readonly number[] | undefined): number | undefined => (v === undefined ? undefined : typeof v === 'number' ? v : v[0]);

function curveOf(history: PruneHistory, trial: TrialId): Curve {
  const c = history.get(trial);
  if (!c) throw new DistilleryError('PRUNE_UNKNOWN_TRIAL', `trial ${String(trial)} has no reported values`, 'report the value of the current step before asking the pruner');
  return c;
}

/**
 * The median rule (Golovin et al. 2017, Optuna's default): prune when the trial's best value so
 * far is worse than the median of the other trials' values at the same step. Nothing is pruned
 * before `startupTrials` others have reached the step, nor before `warmupSteps`.
 *
 * @example
 * const p = new MedianPruner({ direction: 'max', startupTrials: 5, warmupSteps: 1 });
 */
export class MedianPruner implements Pruner {
  private readonly sign: number;
  private readonly startup: number;
  private readonly warmup: number;
  constructor(opts: { direction?: Direction; startupTrials?: number; warmupSteps?: number } = {}) {
    this.sign = opts.direction === 'max' ? -1 : 1;
    this.startup = opts.startupTrials ?? 5;
    this.warmup = opts.warmupSteps ?? 0;
  }

  shouldPrune(trial: TrialId, step: number, history: PruneHistory): boolean {
    if (step < this.warmup) return false;
    let best = Infinity;
    curveOf(history, trial).forEach((v, s) => {
      const x = scalar(v);
      if (s <= step && x !== undefined && Number.isFinite(x)) best = Math.min(best, this.sign * x);
    });
    const others: number[] = [];
    for (const [id, c] of history) {
      const x = scalar(c[step]);
      if (id !== trial && x !== undefined && Number.isFinite(x)) others.push(this.sign * x);
    }
    if (others.length < this.startup) return false;
    others.sort((a, b) => a - b);
    const m = others.length >> 1;
    const median = others.length % 2 ? others[m]! : (others[m - 1]! + others[m]!) / 2;
    return best > median; // a trial whose every value was NaN has best = Infinity: pruned
  }
}

/** Options of the successive-halving pruners. */
export interface HalvingOptions {
  /** The first rung's budget, in steps (default 1). */
  minResource?: number;
  /** Keep 1/eta of the trials at each rung (default 3). */
  eta?: number;
  /** Direction of each objective (default one minimised objective). */
  directions?: readonly Direction[];
}

/** Whether `step` is a rung: minResource · eta^k. */
function isRung(step: number, min: number, eta: number): boolean {
  for (let r = min; r <= step; r *= eta) if (r === step) return true;
  return false;
}

/**
 * Asynchronous successive halving (ASHA, Li et al. 2020) over epochs: at each rung
 * (minResource · eta^k steps) a trial continues only when it is in the top `max(1, ⌊n/eta⌋)` of
 * the n trials that have reached that rung so far. With several objectives, "top" is by
 * non-dominated rank and then crowding distance (NSGA-II's order), which Optuna's pruners lack
 * (its issue 3450).
 *
 * @example
 * const p = new SuccessiveHalvingPruner({ minResource: 1, eta: 3, directions: ['max', 'min'] });
 */
export class SuccessiveHalvingPruner implements Pruner {
  readonly minResource: number;
  readonly eta: number;
  readonly directions: readonly Direction[];
  constructor(opts: HalvingOptions = {}) {
    this.minResource = opts.minResource ?? 1;
    this.eta = opts.eta ?? 3;
    this.directions = opts.directions ?? ['min'];
    if (!(this.eta >= 2) || !(this.minResource >= 1)) {
      throw new DistilleryError('PRUNER_OPTION', `successive halving needs eta >= 2 and minResource >= 1 (got ${this.eta}, ${this.minResource})`, 'use eta 3 and minResource 1');
    }
  }

  shouldPrune(trial: TrialId, step: number, history: PruneHistory, among?: (id: TrialId) => boolean): boolean {
    if (!isRung(step, this.minResource, this.eta)) return false;
    const mine = curveOf(history, trial)[step];
    if (mine === undefined) return false;
    const ids: TrialId[] = [];
    const pts: number[][] = [];
    for (const [id, c] of history) {
      const v = c[step];
      if (v === undefined || (among && id !== trial && !among(id))) continue;
      const vec = typeof v === 'number' ? [v] : [...v];
      ids.push(id);
      // A NaN value ranks last: map it to +Infinity after the flip to minimisation.
      pts.push(toMinimization(vec, this.directions).map((x) => (Number.isNaN(x) ? Infinity : x)));
    }
    const keep = Math.max(1, Math.floor(ids.length / this.eta));
    const order = this.directions.length === 1 ? pts.map((_, i) => i).sort((a, b) => pts[a]![0]! - pts[b]![0]! || a - b) : rankAndCrowd(pts);
    const pos = order.indexOf(ids.indexOf(trial));
    return pos >= keep;
  }
}

/** One bracket of a Hyperband schedule. */
export interface Bracket {
  /** Bracket index s: larger s starts more trials on a smaller budget. */
  s: number;
  /** Trials started in this bracket. */
  trials: number;
  /** Each rung: how many trials run to which budget. */
  rungs: { trials: number; budget: number }[];
}

/**
 * The synchronous Hyperband plan (Li et al. 2018) between `minResource` and `maxResource` steps:
 * brackets s = sMax..0 with n_s = ⌈(sMax+1)/(s+1)·eta^s⌉ trials starting at maxResource·eta^-s.
 *
 * @example
 * hyperbandBrackets(1, 27, 3)[0]; // { s: 3, trials: 27, rungs: [{27,1},{9,3},{3,9},{1,27}] }
 */
export function hyperbandBrackets(minResource: number, maxResource: number, eta = 3): Bracket[] {
  if (!(maxResource >= minResource && minResource >= 1 && eta >= 2)) {
    throw new DistilleryError('PRUNER_OPTION', `hyperband needs 1 <= minResource <= maxResource and eta >= 2 (got ${minResource}, ${maxResource}, ${eta})`, 'e.g. minResource 1, maxResource the epochs, eta 3');
  }
  const sMax = Math.floor(Math.log(maxResource / minResource) / Math.log(eta) + 1e-9);
  const out: Bracket[] = [];
  for (let s = sMax; s >= 0; s--) {
    const n = Math.ceil(((sMax + 1) / (s + 1)) * eta ** s);
    const rungs = [];
    for (let i = 0; i <= s; i++) rungs.push({ trials: Math.max(1, Math.floor(n / eta ** i)), budget: Math.min(maxResource, Math.round(maxResource * eta ** (i - s))) });
    out.push({ s, trials: n, rungs });
  }
  return out;
}

/**
 * Hyperband as an asynchronous pruner: each trial is assigned a bracket (by a hash of its id,
 * weighted by the bracket's trial count), and within its bracket it is halved like
 * {@link SuccessiveHalvingPruner} against the trials of the same bracket only. `budgetFor`
 * tells the executor the most steps a trial can get and the steps at which it is judged.
 *
 * @example
 * const hb = new HyperbandPruner({ minResource: 1, maxResource: 27, eta: 3, directions: ['max'] });
 * hb.budgetFor(7); // { bracket: 2, rungs: [3, 9, 27], maxSteps: 27 }
 */
export class HyperbandPruner implements Pruner {
  readonly brackets: Bracket[];
  private readonly halvers: SuccessiveHalvingPruner[];
  private readonly weights: number[];
  private readonly maxResource: number;

  constructor(opts: HalvingOptions & { maxResource: number }) {
    const eta = opts.eta ?? 3;
    const min = opts.minResource ?? 1;
    this.maxResource = opts.maxResource;
    this.brackets = hyperbandBrackets(min, opts.maxResource, eta);
    this.halvers = this.brackets.map((b) => new SuccessiveHalvingPruner({ minResource: b.rungs[0]!.budget, eta, directions: opts.directions ?? ['min'] }));
    const total = this.brackets.reduce((a, b) => a + b.trials, 0);
    let acc = 0;
    this.weights = this.brackets.map((b) => (acc += b.trials / total));
  }

  /** Index into {@link brackets} of a trial. */
  bracketOf(trial: TrialId): number {
    const u = hash01(String(trial));
    const i = this.weights.findIndex((w) => u < w);
    return i < 0 ? this.weights.length - 1 : i;
  }

  /** The trial's bracket (its s), the steps at which it is judged, and its most steps. */
  budgetFor(trial: TrialId): { bracket: number; rungs: number[]; maxSteps: number } {
    const b = this.brackets[this.bracketOf(trial)]!;
    return { bracket: b.s, rungs: b.rungs.map((r) => r.budget), maxSteps: this.maxResource };
  }

  shouldPrune(trial: TrialId, step: number, history: PruneHistory): boolean {
    const mine = this.bracketOf(trial);
    return this.halvers[mine]!.shouldPrune(trial, step, history, (id) => this.bracketOf(id) === mine);
  }
}

// FNV-1a: a stable, platform-independent bracket assignment for the same trial id.
function hash01(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h >>> 0) / 4294967296;
}
