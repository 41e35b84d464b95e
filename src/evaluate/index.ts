/**
 * One candidate -> metrics: builds it, checks the limits known from its spec before any
 * training, trains or distils it for the budget it is given (reporting each epoch for pruning),
 * measures its latency, saves it, and returns its objectives; or reads them from a table.
 *
 * @example
 * import { createModelEvaluator } from './evaluate/index.ts';
 * const ev = await createModelEvaluator({ space, data, train, seed: 1, objectives: [{ metric: 'accuracy', direction: 'max' }], limits: [] });
 * const out = await ev.evaluate({ trialId: 7, candidate, epochs: 2, artifactDir: 'study.artifacts/trial-7' });
 */
export type { EvalOutcome, EvalRequest, EvalState, Evaluator } from './types.ts';
export { CALIBRATION_SAMPLES, createModelEvaluator, failureReason, ModelEvaluator } from './model.ts';
export type { ModelEvaluatorConfig, ModelEvaluatorOptions } from './model.ts';
export { TableTrialEvaluator } from './table.ts';
export { exportCandidate, LATENCY_RUNTIMES, measureLatency, QUANTIZE_PRECISIONS } from './latency.ts';
export type { CalibrationSamples, CandidatePrecision, LatencyOptions, LatencyResult, LatencyRuntime } from './latency.ts';
export { applyTrainSettings } from './settings.ts';
export type { LossTermConfig } from './settings.ts';
