/**
 * The ONNX export job: a model folder exported with a parity check (files, calibration data from
 * the run's config, the comparison of fp32/fp16/int8 variants). The conversion itself, in
 * memory, is the `onnx/` floor.
 *
 * @example
 * import { exportOnnxFolder } from './deploy/onnx/index.ts';
 * const r = await exportOnnxFolder('runs/mlp/model', { out: 'out', precision: 'int8' });
 */
export { compareVariants, variantRows } from './compare.ts';
export type { CompareOptions, LabelledSamples, OnnxVariant, VariantLatency, VariantReport } from './compare.ts';
export { exportData, trainedOnMnist } from './data.ts';
export type { ExportData, ExportDataOptions } from './data.ts';
export { exportOnnxFolder, loadModelFolder, ONNX_FILE_NAMES } from './job.ts';
export type { ExportFolderOptions, ExportFolderResult } from './job.ts';
export { copyModelInputs, MODEL_INPUT_FILES, randomIds, rawTextParity } from './text.ts';
export type { TextParityReport } from './text.ts';
