import { DistilleryError } from '../../core/errors.ts';
import { Registry } from '../../core/registry.ts';
import type { SearchSpace } from '../space.ts';
import type { Strategy, StrategyOptions, StrategyState } from '../types.ts';
import { RegularizedEvolution } from './evolution.ts';
import { GridSearch } from './grid.ts';
import { Nsga2 } from './nsga2.ts';
import { RandomSearch } from './random.ts';
import { Tpe } from './tpe.ts';

/** Builds a strategy over a space. */
export type StrategyFactory = (space: SearchSpace, opts?: StrategyOptions) => Strategy;

/**
 * The strategies by name: `random`, `grid`, `evolution`, `tpe`, `nsga2`. A miss names them all.
 *
 * @example
 * const s = strategies.get('tpe')(space, { seed: 1, directions: ['max'] });
 */
export const strategies = new Registry<StrategyFactory>('strategy');
strategies.register('random', (space, opts) => new RandomSearch(space, opts));
strategies.register('grid', (space, opts) => new GridSearch(space, opts));
strategies.register('evolution', (space, opts) => new RegularizedEvolution(space, opts));
strategies.register('tpe', (space, opts) => new Tpe(space, opts));
strategies.register('nsga2', (space, opts) => new Nsga2(space, opts));

/**
 * Builds the strategy a saved state belongs to and restores it; the space and options must be
 * those the state was saved with.
 *
 * @example
 * const again = restoreStrategy(space, JSON.parse(saved), { seed: 1, directions: ['max'] });
 */
export function restoreStrategy(space: SearchSpace, state: StrategyState, opts: StrategyOptions = {}): Strategy {
  if (typeof state !== 'object' || state === null || typeof state.strategy !== 'string') {
    throw new DistilleryError('SEARCH_STATE', 'the saved strategy state has no strategy name', 'pass the JSON that strategy.state() returned');
  }
  const s = strategies.get(state.strategy, 'state.strategy')(space, opts);
  s.restore(state);
  return s;
}

export { RandomSearch, GridSearch, RegularizedEvolution, Tpe, Nsga2 };
