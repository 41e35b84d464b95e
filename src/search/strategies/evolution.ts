import type { SearchSpace } from '../space.ts';
import type { Candidate, Strategy, StrategyOptions } from '../types.ts';
import { BaseStrategy, type Observation } from './base.ts';
import { bestFirst } from './select.ts';

/**
 * Regularized (aging) evolution, Real et al. 2019. The first `population` asks are random; then
 * each ask samples `sampleSize` members of the population, mutates the best one (exactly one
 * parameter changes) and, as each child is told, the oldest member dies. Several objectives:
 * the tournament winner is the best by non-dominated rank, then crowding.
 *
 * Options: `population` (default 10) and `sampleSize` (default 3), the NAS-Bench-201 paper's
 * REA settings; `mutationRate` (default: one parameter per child).
 *
 * @example
 * const s = new RegularizedEvolution(space, { seed: 3, directions: ['max'], population: 20, sampleSize: 5 });
 */
export class RegularizedEvolution extends BaseStrategy implements Strategy {
  readonly name = 'evolution';
  private readonly popSize: number;
  private readonly sampleSize: number;
  private readonly rate: number | undefined;
  /** Indices into the history, oldest first. */
  private population: number[] = [];
  private asks = 0;

  constructor(space: SearchSpace, opts: StrategyOptions = {}) {
    super(space, opts);
    this.popSize = this.num('population', 10, 1, true);
    this.sampleSize = Math.min(this.num('sampleSize', 3, 1, true), this.popSize);
    this.rate = opts.mutationRate === undefined ? undefined : this.num('mutationRate', 0, 0);
  }

  ask(): Candidate {
    this.asks++;
    if (this.asks <= this.popSize || this.population.length === 0) return this.asked(this.freshSample());
    const pool = this.population.slice();
    const picked: Observation[] = [];
    for (let i = 0; i < this.sampleSize && pool.length > 0; i++) {
      const j = Math.floor(this.rng.next() * pool.length);
      picked.push(this.history[pool[j]!]!);
      pool.splice(j, 1);
    }
    const parent = picked[bestFirst(picked)[0]!]!.candidate;
    // A child already evaluated wastes a trial: retry the mutation a few times.
    let child = this.space.mutate(parent, this.rng, this.rate);
    for (let t = 0; t < 8 && this.seen.has(this.space.key(child)); t++) child = this.space.mutate(parent, this.rng, this.rate);
    return this.asked(child);
  }

  protected override observe(): void {
    this.population.push(this.history.length - 1);
    if (this.population.length > this.popSize) this.population.shift();
  }

  protected override extra(): Record<string, unknown> {
    return { population: this.population, asks: this.asks };
  }

  protected override load(s: Record<string, unknown>): void {
    this.population = s.population as number[];
    this.asks = s.asks as number;
  }
}
