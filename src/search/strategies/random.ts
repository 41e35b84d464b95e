import type { SearchSpace } from '../space.ts';
import type { Candidate, Strategy, StrategyOptions } from '../types.ts';
import { BaseStrategy } from './base.ts';

/**
 * Random search: uniform draws, avoiding candidates already asked when the space allows.
 *
 * @example
 * const s = new RandomSearch(space, { seed: 1 });
 * s.tell(s.ask(), { objectives: [0.3] });
 */
export class RandomSearch extends BaseStrategy implements Strategy {
  readonly name = 'random';
  constructor(space: SearchSpace, opts: StrategyOptions = {}) {
    super(space, opts);
  }

  ask(): Candidate {
    return this.asked(this.freshSample());
  }
}
