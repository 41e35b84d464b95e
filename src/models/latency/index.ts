/**
 * The latency predictor's arithmetic: a model's blocks as table keys and features, a per-device
 * table of block latencies, the fused kernels each runtime runs for a spec and the kernel cost
 * model fitted on them, and a model's predicted latency. A prediction from a spec is a cost, as `cost.ts`'s MACs are; measuring the table
 * (profiling) is `deploy/predict/`.
 *
 * @example
 * import { predictLatency, readLatencyTable } from './models/latency/index.ts';
 * predictLatency(spec, readLatencyTable('device.json')).ms;
 */
export { blockInstances, blockKey, features } from './blocks.ts';
export type { BlockInstance } from './blocks.ts';
export { LATENCY_TABLE_VERSION, emptyOf, fitEmpty, fitKinds, fitKindScales, fitOverhead, kindSums, predictBlockSum, predictLatency, readLatencyTable, ridge } from './table.ts';
export type { KindFit, LatencyTable, Prediction, TableEntry } from './table.ts';
export { KERNEL_OPS, kernelFeatureNames, kernelFeatures, kernelsOf } from './kernels.ts';
export type { Kernel, KernelOp, KernelRuntime } from './kernels.ts';
export { fitKernelModel, fitNonNegative, predictKernelMs, whereWorst } from './kernel-fit.ts';
export type { KernelModel } from './kernel-fit.ts';
