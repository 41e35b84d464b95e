/**
 * Latency prediction: a per-device lookup table of block latencies (`profile-device`), summed
 * per model with a fitted overhead, and its check against measured latency (`bench --predict`).
 *
 * @example
 * import { profileDevice, predictLatency, randomSpecs } from './deploy/predict/index.ts';
 * const table = await profileDevice(randomSpecs(30, 1), { runtime: 'onnx', threads: 1 });
 * predictLatency(spec, table).ms;
 */
export { blockInstances, blockKey, features } from './blocks.ts';
export type { BlockInstance } from './blocks.ts';
export { emptyOf, fitEmpty, fitKinds, fitKindScales, fitOverhead, kindSums, predictBlockSum, predictLatency, readLatencyTable, ridge } from './table.ts';
export type { KindFit, LatencyTable, Prediction, TableEntry } from './table.ts';
export { measureLatency, measureModels, profileDevice, specRunner } from './profile.ts';
export type { Measured, ProfileDeviceOptions, ProfileOptions } from './profile.ts';
export { comparePredictions, summarizeErrors } from './compare.ts';
export type { ErrorSummary, NamedModel, PredictionRow } from './compare.ts';
export { randomMlpSpecs, randomSpecs, readSpecSource, specsFromSpace } from './sources.ts';
export { KERNEL_OPS, kernelFeatureNames, kernelFeatures, kernelsOf } from './kernels.ts';
export type { Kernel, KernelOp, KernelRuntime } from './kernels.ts';
export { fitKernelModel, fitNonNegative, predictKernelMs, whereWorst } from './kernel-fit.ts';
export type { KernelModel } from './kernel-fit.ts';
export { collectModels } from './models.ts';
export type { SpecSourceOptions } from './sources.ts';
