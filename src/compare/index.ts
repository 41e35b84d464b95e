/**
 * `distillery compare`: the hand student alone, distilled, a search without a teacher and a search
 * of distilled candidates, at equal training compute (one budget accountant counting training
 * MACs), over several seeds, selecting on validation, scored once on test, with a verdict and a
 * report. A job over the train, distill and search jobs: it trains nothing itself.
 *
 * @example
 * import { compare, loadCompareConfig } from './compare/index.ts';
 * const { config, baseDir } = await loadCompareConfig('examples/mnist-compare.yaml');
 * console.log((await compare(config, { out: 'runs/compare', baseDir })).verdict);
 */
export { BudgetAccount, teacherMacs, trainingMacs, TRAIN_MACS_FACTOR } from './budget.ts';
export type { Charge } from './budget.ts';
export { ARMS, compareConfigSchema, loadCompareConfig } from './config.ts';
export type { ArmName, CompareConfig } from './config.ts';
export { preflight } from './plan.ts';
export type { ComparePlan } from './plan.ts';
export { compare } from './job.ts';
export type { CompareOptions, CompareResult } from './job.ts';
export type { ArmResult } from './result.ts';
export { difference, spread, verdict } from './verdict.ts';
export type { ArmFigures, Difference, Spread } from './verdict.ts';
export { writeCompareReport } from './report.ts';
export type { SeedResult, TrialPoint } from './arms.ts';
