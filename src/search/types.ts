/**
 * The shared vocabulary of search: candidates, results, directions and the strategy interface.
 */

/** One parameter's value in a candidate: a choice's value (or index, for choices among objects), an int or a float. */
export type ParamValue = string | number | boolean | null;

/**
 * A candidate: plain JSON, parameter values by name (the dotted path of the parameter in the space).
 *
 * @example
 * const c: Candidate = { 'train.lr': 0.01, 'model.blocks[1].repeat': 2 };
 */
export type Candidate = Record<string, ParamValue>;

/** Whether an objective is minimised or maximised. */
export type Direction = 'min' | 'max';

/**
 * What a trial reports back to a strategy. `objectives: undefined` means the trial failed or
 * was infeasible; `constraintViolation > 0` means it broke a limit (0 or absent: feasible).
 *
 * @example
 * strategy.tell(c, { objectives: [0.981, 1.2e6] });
 * strategy.tell(c, { objectives: undefined }); // failed
 */
export interface TrialResult {
  objectives: number[] | undefined;
  constraintViolation?: number;
}

/** A strategy's saved state: JSON that {@link Strategy.restore} takes back. */
export type StrategyState = { strategy: string; version: number; [k: string]: unknown };

/**
 * A search strategy: ask for a candidate, tell it the result. It never trains. Asks and tells
 * may interleave in any order (several trials may be out at once).
 *
 * @example
 * const s = strategies.get('evolution')(space, { seed: 1, directions: ['max'] });
 * const c = s.ask();
 * s.tell(c, { objectives: [evaluate(c)] });
 * const saved = JSON.stringify(s.state());
 */
export interface Strategy {
  readonly name: string;
  ask(): Candidate;
  tell(candidate: Candidate, result: TrialResult): void;
  /** Everything needed to continue identically, as JSON. */
  state(): StrategyState;
  /** Continues from a {@link state} of a strategy built with the same space and options. */
  restore(state: StrategyState): void;
}

/** Options every strategy takes; each strategy adds its own. */
export interface StrategyOptions {
  seed?: number;
  /** One direction per objective (default `['min']`). */
  directions?: readonly Direction[];
  /** Strategy-specific settings (population size, gamma, ...). */
  [k: string]: unknown;
}
