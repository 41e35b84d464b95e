/**
 * Latency prediction's measuring side: profiling a device into a lookup table of block latencies
 * (`profile-device`) and checking predictions against measured latency (`bench --predict`). The
 * arithmetic (table, blocks, the prediction itself) is `models/latency/`.
 *
 * @example
 * import { profileDevice, randomSpecs } from './deploy/predict/index.ts';
 * const table = await profileDevice(randomSpecs(30, 1), { runtime: 'onnx', threads: 1 });
 * // predict with models/latency: predictLatency(spec, table).ms
 */
export { asLoaded, measureLatency, measureModels, profileDevice, specRunner } from './profile.ts';
export type { Measured, ProfileDeviceOptions, ProfileOptions } from './profile.ts';
export { comparePredictions, summarizeErrors } from './compare.ts';
export { anchorScale, driftCorrected } from './drift.ts';
export type { ErrorSummary, NamedModel, PredictionRow } from './compare.ts';
export { randomMlpSpecs, randomSpecs, readSpecSource, specsFromSpace } from './sources.ts';
export { collectModels } from './models.ts';
export { pinMainThread } from './pin.ts';
export type { PinOptions, PinResult } from './pin.ts';
export type { SpecSourceOptions } from './sources.ts';
