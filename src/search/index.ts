/**
 * Architecture search: spaces as data, ask/tell strategies, Pareto tools, pruners, limits,
 * zero-cost proxies and tabular benchmarks. A strategy never trains: the study loop asks it for
 * a candidate, evaluates it elsewhere and tells it the result.
 *
 * @example
 * import { SearchSpace, strategies, materialize } from './search/index.ts';
 * const space = SearchSpace.fromFile('examples/spaces/mnist-mobile.yaml');
 * const s = strategies.get('tpe')(space, { seed: 1, directions: ['max'] });
 * const c = s.ask();
 * const { model, train } = materialize(space, c, { numClasses: 10 });
 * s.tell(c, { objectives: [0.98] });
 */
export type { Candidate, Direction, ParamValue, Strategy, StrategyOptions, StrategyState, TrialResult } from './types.ts';
export { SearchSpace } from './space.ts';
export type { Dim } from './space.ts';
export { spaceSchema } from './space-compile.ts';
export type { SpaceDefinition } from './space-compile.ts';
export { materialize } from './materialize.ts';
export type { Materialized, MaterializeOptions } from './materialize.ts';
export { strategies, restoreStrategy, RandomSearch, GridSearch, RegularizedEvolution, Tpe, Nsga2 } from './strategies/index.ts';
export type { StrategyFactory } from './strategies/index.ts';
export { crowdingDistance, dominates, hypervolume, nonDominatedSort, paretoRanks, rankAndCrowd, toMinimization } from './pareto.ts';
export { HyperbandPruner, MedianPruner, SuccessiveHalvingPruner, hyperbandBrackets } from './pruners.ts';
export type { Bracket, Curve, HalvingOptions, PruneHistory, Pruner, TrialId } from './pruners.ts';
export { METRICS, SPEC_METRICS, checkSpecLimits, parseLimits, specMetrics, violation, withLimits } from './constraints.ts';
export type { CandidateCheck, Limit, MetricName, SpecCheck, SpecMetricName } from './constraints.ts';
export { naswot, preRank, specProxy, synflow } from './proxies.ts';
export type { ProxyName } from './proxies.ts';
export { parseObjectives, readTable, TableEvaluator } from './table.ts';
export type { ObjectiveSpec, Table } from './table.ts';
