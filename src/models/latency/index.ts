/**
 * The latency predictor's arithmetic: a model's blocks as table keys and features, a per-device
 * table of block latencies, and a model's predicted latency summed from it with a fitted
 * overhead. A prediction from a spec is a cost, as `cost.ts`'s MACs are; measuring the table
 * (profiling) is `deploy/predict/`.
 *
 * @example
 * import { predictLatency, readLatencyTable } from './models/latency/index.ts';
 * predictLatency(spec, readLatencyTable('device.json')).ms;
 */
export { blockInstances, blockKey, features } from './blocks.ts';
export type { BlockInstance } from './blocks.ts';
export { emptyOf, fitEmpty, fitKinds, fitKindScales, fitOverhead, kindSums, predictLatency, readLatencyTable, ridge } from './table.ts';
export type { KindFit, LatencyTable, Prediction, TableEntry } from './table.ts';
