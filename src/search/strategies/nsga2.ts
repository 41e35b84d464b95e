import type { SearchSpace } from '../space.ts';
import type { Candidate, Strategy, StrategyOptions } from '../types.ts';
import { BaseStrategy } from './base.ts';
import { bestFirst } from './select.ts';
import { bounds, polynomialMutation, sbx } from './variation.ts';

/**
 * NSGA-II, Deb et al. 2002, in ask/tell form. The first `population` asks are random; once a
 * generation of `population` children has been told, parents and children are merged and the
 * best `population` survive by (constrained) non-dominated rank, then crowding distance
 * (feasible before infeasible, infeasible by violation, failed last). Children come from binary
 * tournaments on that order, SBX crossover and polynomial mutation for ints and floats, uniform
 * crossover and redraw mutation for choices. Asks beyond a generation keep breeding from the
 * current parents, so trials may run in parallel.
 *
 * Options: `population` (50), `crossoverProb` (0.9), `etaC` (20), `etaM` (20),
 * `mutationProb` (default 1 / number of parameters).
 *
 * @example
 * const s = new Nsga2(space, { seed: 1, directions: ['min', 'min'], population: 100 });
 */
export class Nsga2 extends BaseStrategy implements Strategy {
  readonly name = 'nsga2';
  private readonly popSize: number;
  private readonly pc: number;
  private readonly etaC: number;
  private readonly etaM: number;
  private readonly pm: number;
  /** History indices of the survivors, best first. */
  private parents: number[] = [];
  private generation: number[] = [];
  private queue: Candidate[] = [];
  private asks = 0;

  constructor(space: SearchSpace, opts: StrategyOptions = {}) {
    super(space, opts);
    this.popSize = this.num('population', 50, 2, true);
    this.pc = this.num('crossoverProb', 0.9, 0);
    this.etaC = this.num('etaC', 20, 0);
    this.etaM = this.num('etaM', 20, 0);
    this.pm = this.num('mutationProb', 1 / space.dims.length, 0);
  }

  ask(): Candidate {
    this.asks++;
    if (this.parents.length === 0) return this.asked(this.freshSample());
    if (this.queue.length === 0) this.queue = this.breed();
    return this.asked(this.queue.shift()!);
  }

  private tournament(): Candidate {
    // Parents are stored best first, so the lower position wins the crowded comparison.
    const a = Math.floor(this.rng.next() * this.parents.length);
    const b = Math.floor(this.rng.next() * this.parents.length);
    return this.history[this.parents[Math.min(a, b)]!]!.candidate;
  }

  private breed(): Candidate[] {
    const p1 = this.tournament();
    const p2 = this.tournament();
    const c1: Candidate = {};
    const c2: Candidate = {};
    const cross = this.rng.next() < this.pc;
    for (const d of this.space.dims) {
      const a = p1[d.name];
      const b = p2[d.name];
      if (a === undefined || b === undefined) {
        if (a !== undefined) c1[d.name] = a;
        if (b !== undefined) c2[d.name] = b;
        continue;
      }
      let x = a;
      let y = b;
      if (cross && this.rng.next() < 0.5) {
        if (d.kind === 'choice') [x, y] = [b, a];
        else {
          const { lo, hi, fwd, back } = bounds(d);
          const [s, t] = sbx(fwd(a as number), fwd(b as number), lo, hi, this.etaC, this.rng);
          x = this.space.clampDim(d, back(s));
          y = this.space.clampDim(d, back(t));
        }
      }
      c1[d.name] = x;
      c2[d.name] = y;
    }
    return [this.mutate(c1), this.mutate(c2)];
  }

  private mutate(c: Candidate): Candidate {
    const out = this.space.complete(c, this.rng);
    for (const d of this.space.dims) {
      const v = out[d.name];
      if (v === undefined || !(this.rng.next() < this.pm)) continue;
      if (d.kind === 'choice') {
        if (d.options.length < 2) continue;
        let w = this.space.sampleDim(d, this.rng);
        while (w === v) w = this.space.sampleDim(d, this.rng);
        out[d.name] = w;
      } else {
        const { lo, hi, fwd, back } = bounds(d);
        out[d.name] = this.space.clampDim(d, back(polynomialMutation(fwd(v as number), lo, hi, this.etaM, this.rng)));
      }
    }
    return this.space.complete(out, this.rng);
  }

  protected override observe(): void {
    this.generation.push(this.history.length - 1);
    if (this.generation.length < this.popSize) return;
    const pool = [...this.parents, ...this.generation];
    const order = bestFirst(pool.map((i) => this.history[i]!));
    this.parents = order.slice(0, this.popSize).map((j) => pool[j]!);
    this.generation = [];
    this.queue = [];
  }

  protected override extra(): Record<string, unknown> {
    return { parents: this.parents, generation: this.generation, queue: this.queue, asks: this.asks };
  }

  protected override load(s: Record<string, unknown>): void {
    this.parents = s.parents as number[];
    this.generation = s.generation as number[];
    this.queue = s.queue as Candidate[];
    this.asks = s.asks as number;
  }
}
