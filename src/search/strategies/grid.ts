import { DistilleryError } from '../../core/errors.ts';
import type { SearchSpace } from '../space.ts';
import type { Candidate, Strategy, StrategyOptions } from '../types.ts';
import { BaseStrategy } from './base.ts';

/**
 * Grid search: every point of the space's grid once, in an order shuffled by the seed (so that
 * a budget smaller than the grid still covers it evenly). Options: `floatPoints` (default 5).
 * Throws `SEARCH_GRID_EXHAUSTED` when every point has been asked.
 *
 * @example
 * const s = new GridSearch(space, { seed: 0, floatPoints: 3 });
 */
export class GridSearch extends BaseStrategy implements Strategy {
  readonly name = 'grid';
  private readonly points: Candidate[];
  private readonly order: Int32Array;
  private next = 0;

  constructor(space: SearchSpace, opts: StrategyOptions = {}) {
    super(space, opts);
    this.points = space.grid(this.num('floatPoints', 5, 1, true));
    this.order = this.rng.permutation(this.points.length);
  }

  ask(): Candidate {
    if (this.next >= this.points.length) {
      throw new DistilleryError('SEARCH_GRID_EXHAUSTED', `the grid's ${this.points.length} points have all been asked`, 'stop the study at the grid size, or use another strategy');
    }
    return this.asked({ ...this.points[this.order[this.next++]!]! });
  }

  protected override extra(): Record<string, unknown> {
    return { next: this.next };
  }

  protected override load(s: Record<string, unknown>): void {
    this.next = s.next as number;
  }
}
