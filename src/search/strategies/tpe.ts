import type { SearchSpace } from '../space.ts';
import type { Candidate, Strategy, StrategyOptions } from '../types.ts';
import { BaseStrategy } from './base.ts';
import { categorical, parzen, type Density } from './parzen.ts';
import { bestFirst } from './select.ts';

/**
 * Tree-structured Parzen Estimator, Bergstra et al. 2011. After `startup` random asks, the told
 * trials are split into a good group (the best `ceil(gamma·n)`, at most `maxGood`) and a bad
 * group; each dimension gets a density l(x) from the good and g(x) from the bad values (a
 * dimension only counts trials where it is active, which handles conditional spaces); `candidates`
 * draws from l are scored by Σ log l(x)/g(x) (the expected-improvement criterion) and the best
 * unseen one is asked.
 *
 * Several objectives (MOTPE-style): "best" is by non-dominated rank, then crowding distance.
 * Constraints: infeasible trials (violation > 0) and failed ones always fall in the bad group.
 *
 * Options: `startup` (10), `gamma` (0.1), `maxGood` (25), `candidates` (24), `prior` (1).
 *
 * @example
 * const s = new Tpe(space, { seed: 1, directions: ['max', 'min'] });
 */
export class Tpe extends BaseStrategy implements Strategy {
  readonly name = 'tpe';
  private readonly startup: number;
  private readonly gamma: number;
  private readonly maxGood: number;
  private readonly nCandidates: number;
  private readonly prior: number;

  constructor(space: SearchSpace, opts: StrategyOptions = {}) {
    super(space, opts);
    this.startup = this.num('startup', 10, 0, true);
    this.gamma = this.num('gamma', 0.1, 0);
    this.maxGood = this.num('maxGood', 25, 1, true);
    this.nCandidates = this.num('candidates', 24, 1, true);
    this.prior = this.num('prior', 1, 0);
  }

  ask(): Candidate {
    const n = this.history.length;
    if (n < Math.max(1, this.startup)) return this.asked(this.freshSample());
    const order = bestFirst(this.history);
    const usable = order.filter((i) => this.history[i]!.values !== undefined && this.history[i]!.violation === 0).length;
    const nGood = Math.max(1, Math.min(usable, this.maxGood, Math.ceil(this.gamma * n)));
    const good = order.slice(0, nGood).map((i) => this.history[i]!.candidate);
    const bad = order.slice(nGood).map((i) => this.history[i]!.candidate);
    const l = new Map<string, Density>();
    const g = new Map<string, Density>();
    const fit = (name: string) => {
      if (!l.has(name)) {
        const d = this.space.dim(name);
        const vals = (cs: Candidate[]) => cs.filter((c) => c[name] !== undefined).map((c) => (d.kind === 'choice' ? this.space.toIndex(d, c[name]!) : (c[name] as number)));
        l.set(name, d.kind === 'choice' ? categorical(d.options.length, vals(good), this.prior) : parzen(d, vals(good)));
        g.set(name, d.kind === 'choice' ? categorical(d.options.length, vals(bad), this.prior) : parzen(d, vals(bad)));
      }
      return [l.get(name)!, g.get(name)!] as const;
    };
    let best: Candidate | undefined;
    let bestScore = -Infinity;
    for (let k = 0; k < this.nCandidates; k++) {
      const c: Candidate = {};
      let score = 0;
      for (const d of this.space.dims) {
        if (!this.space.isActive(d, c)) continue;
        const [ld, gd] = fit(d.name);
        const x = ld.sample(this.rng);
        const v = this.space.clampDim(d, x);
        c[d.name] = v;
        const e = d.kind === 'choice' ? this.space.toIndex(d, v) : (v as number);
        score += ld.logPdf(e) - gd.logPdf(e);
      }
      if (score > bestScore && !this.seen.has(this.space.key(c))) {
        best = c;
        bestScore = score;
      }
    }
    return this.asked(best ?? this.freshSample());
  }
}
