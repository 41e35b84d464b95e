/**
 * Audio front-end (log-mel spectrogram, MFCC) as pure math: one place for the DFT basis, the
 * mel filterbank and the DCT, and their application as matrix products on any TF.js backend.
 * A floor of its own, beside data/: the data stage may cache features with it, and a model's
 * front-end layer and the ONNX converter build the same graph from the same matrices without
 * importing the data stage's readers.
 *
 * @example
 * import { computeFeatures, resolveFrontEnd } from '../features/index.ts';
 * const { values, shape } = await computeFeatures(resolveFrontEnd({ mfcc: 10 }), waves, 16000); // [n, 49, 10]
 */
export type { FrontEnd, FrontEndInput } from './spec.ts';
export { featureShape, frameCount, frontEndSchema, resolveFrontEnd } from './spec.ts';
export type { FrontEndMatrices } from './matrices.ts';
export { dctMatrix, frontEndMatrices, hann, hzToMel, melFilterbank, melToHz } from './matrices.ts';
export type { FrontEndTensors } from './frontend.ts';
export { computeFeatures, frontEndApply, frontEndTensors } from './frontend.ts';
