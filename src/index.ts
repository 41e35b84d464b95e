/**
 * distillery's public API. The CLI (`distillery ...`) only wires these functions.
 *
 * @example
 * import { loadTrainConfig, train } from 'distillery';
 * const { config, baseDir } = await loadTrainConfig('examples/mnist-mlp.yaml');
 * const result = await train(config, { baseDir, out: 'runs/mlp' });
 */
export { DistilleryError, isDistilleryError, Registry, Rng, combineReporters, silentReporter, writeFileAtomic, writeJsonAtomic } from './core/index.ts';
export type { DistilleryEvent, Reporter } from './core/index.ts';
export { readConfigFile, applyOverrides, validateConfig, defineConfig } from './config/index.ts';
export { initEngine, engineInfo } from './engine/index.ts';
export type { BackendName, EngineInfo, EngineOptions } from './engine/index.ts';
export * from './data/index.ts';
export * from './models/index.ts';
export {
  fit,
  evaluate,
  softmaxCrossEntropy,
  crossEntropyLoss,
  createOptimizer,
  createSchedule,
  EarlyStopper,
  trainConfigSchema,
  resolveInputShape,
} from './train/index.ts';
export type { FitOptions, FitResult, EvalResult, LossFn, TrainBatch, Optimizer, OptimizerConfig, Schedule, ScheduleConfig, TrainConfig, EpochMetrics } from './train/index.ts';
export { train, loadTrainConfig, trainJobSchema, resolveOut } from './jobs/train.ts';
export type { TrainJobConfig, TrainOptions, TrainResult } from './jobs/train.ts';
export { quickstart, QUICKSTART_STUDENT, QUICKSTART_TEACHER } from './jobs/quickstart.ts';
export type { QuickstartOptions, QuickstartResult } from './jobs/quickstart.ts';
export { distill, loadDistillConfig, distillJobSchema } from './jobs/distill.ts';
export type { DistillJobConfig, DistillOptions, DistillResult, TeacherResult } from './jobs/distill.ts';
export { predict, readLines } from './jobs/predict.ts';
export type { Prediction, PredictOptions } from './jobs/predict.ts';
export { audioFeedOf, predictStream, readAudioClips, windowPosteriors } from './jobs/predict-audio.ts';
export type { AudioFeed, PredictStreamOptions, StreamResult } from './jobs/predict-audio.ts';
export { decide, scoreDetections, smoothPosteriors, streamSettings, windowStarts } from './jobs/stream.ts';
export type { Detection, Segment, StreamOptions, StreamScore, StreamSettings } from './jobs/stream.ts';
export * as tokenizers from './tokenizers/index.ts';
export { createLoss, lossConfigSchema, lossTerms, loadTeacher, teacherConfigSchema, cachedTeacherLogits, teacherLogitsFor, distillHooks, evaluateTeacher, DEFAULT_LOSS } from './distill/index.ts';
export type { Teacher, TeacherOutput, LossContext, LossTerm, LossTermKind, Loss, LossConfig, TeacherConfig } from './distill/index.ts';
export * as search from './search/index.ts';
export * as study from './study/index.ts';
export * as onnx from './onnx/index.ts';
export * as latency from './models/latency/index.ts';
export * as deploy from './deploy/index.ts';
export * as compare from './compare/index.ts';
export { formatSummary, openStore, summarizeStudy } from './store/index.ts';
export type { Store, StudySummary, TrialRow } from './store/index.ts';
