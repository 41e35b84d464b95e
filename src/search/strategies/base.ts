import { DistilleryError } from '../../core/errors.ts';
import { Rng } from '../../core/rng.ts';
import { toMinimization } from '../pareto.ts';
import type { SearchSpace } from '../space.ts';
import type { Candidate, Direction, StrategyOptions, StrategyState, TrialResult } from '../types.ts';

/** One told trial, objectives flipped to minimisation (undefined: failed). */
export interface Observation {
  candidate: Candidate;
  values: number[] | undefined;
  violation: number;
}

/**
 * Shared parts of the strategies: the seeded generator, directions, the list of told trials and
 * the JSON state round-trip. A subclass saves its own fields through `extra()`/`load()`.
 */
export abstract class BaseStrategy {
  abstract readonly name: string;
  protected rng: Rng;
  protected readonly directions: readonly Direction[];
  protected history: Observation[] = [];
  protected seen = new Set<string>();

  constructor(
    protected readonly space: SearchSpace,
    protected readonly opts: StrategyOptions,
  ) {
    this.rng = new Rng(opts.seed ?? 0);
    this.directions = opts.directions ?? ['min'];
    if (this.directions.length === 0) throw new DistilleryError('SEARCH_OBJECTIVES', 'the study has no objectives', 'give at least one objective with its direction (min or max)');
  }

  /** A numeric option, checked. */
  protected num(key: string, def: number, min: number, int = false): number {
    const v = this.opts[key] ?? def;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || (int && !Number.isInteger(v))) {
      throw new DistilleryError('SEARCH_OPTION', `strategy option ${key} is ${JSON.stringify(v)}`, `set ${key} to ${int ? 'an integer' : 'a number'} >= ${min}`, `strategy.${key}`);
    }
    return v;
  }

  tell(candidate: Candidate, result: TrialResult): void {
    const raw = result.objectives === undefined ? undefined : toMinimization(result.objectives, this.directions);
    const values = raw && raw.every(Number.isFinite) ? raw : undefined;
    const cv = result.constraintViolation ?? 0;
    // Without objectives, a known violation (a limit checked before training) still ranks the
    // candidate among the infeasible ones; a plain failure ranks last.
    const violation = values === undefined ? (cv > 0 && Number.isFinite(cv) ? cv : Infinity) : Math.max(0, cv);
    const obs: Observation = { candidate: { ...candidate }, values, violation };
    this.history.push(obs);
    this.seen.add(this.space.key(candidate));
    this.observe(obs);
  }

  /** Hook for subclasses after each tell. */
  protected observe(_obs: Observation): void {}

  /** Draws a candidate not seen before when one is found in `tries` draws. */
  protected freshSample(tries = 50): Candidate {
    let c = this.space.sample(this.rng);
    for (let t = 1; t < tries && this.seen.has(this.space.key(c)); t++) c = this.space.sample(this.rng);
    return c;
  }

  /** Marks an asked candidate so that later asks avoid it. */
  protected asked(c: Candidate): Candidate {
    this.seen.add(this.space.key(c));
    return c;
  }

  protected extra(): Record<string, unknown> {
    return {};
  }

  protected load(_s: Record<string, unknown>): void {}

  state(): StrategyState {
    return { strategy: this.name, version: 1, rng: this.rng.state(), history: this.history.map(saveObs), seen: [...this.seen], ...this.extra() };
  }

  restore(s: StrategyState): void {
    if (s.strategy !== this.name) {
      throw new DistilleryError('SEARCH_STATE', `the saved state is of strategy '${s.strategy}', not '${this.name}'`, `restore it into a '${s.strategy}' strategy`);
    }
    this.rng = Rng.restore(s.rng as number);
    this.history = (s.history as SavedObs[]).map(loadObs);
    this.seen = new Set(s.seen as string[]);
    this.load(s);
  }
}

type SavedObs = { candidate: Candidate; values: number[] | null; violation: number | null };
// JSON has no Infinity: a failed trial's violation is stored as null.
const saveObs = (o: Observation): SavedObs => ({ candidate: o.candidate, values: o.values ?? null, violation: Number.isFinite(o.violation) ? o.violation : null });
const loadObs = (o: SavedObs): Observation => ({ candidate: o.candidate, values: o.values ?? undefined, violation: o.violation ?? Infinity });

/**
 * Orders observations best first: feasible ones by `rankOf` over their objectives, then the
 * infeasible ones by violation, failed ones (violation Infinity) last. Ties keep tell order.
 *
 * @example
 * orderObservations(history, (pts) => pts.map((_, i) => i).sort((a, b) => pts[a][0] - pts[b][0]));
 */
export function orderObservations(obs: readonly Observation[], rankOf: (pts: number[][]) => number[]): number[] {
  const idx = obs.map((_, i) => i);
  const feasible = idx.filter((i) => obs[i]!.values !== undefined && obs[i]!.violation === 0);
  const rest = idx.filter((i) => !(obs[i]!.values !== undefined && obs[i]!.violation === 0));
  rest.sort((a, b) => (obs[a]!.violation === obs[b]!.violation ? a - b : obs[a]!.violation < obs[b]!.violation ? -1 : 1));
  const order = rankOf(feasible.map((i) => obs[i]!.values!)).map((j) => feasible[j]!);
  return [...order, ...rest];
}
