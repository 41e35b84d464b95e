/**
 * ONNX export: a TF.js model (or spec + weights) as an ONNX file that onnxruntime runs with the
 * same outputs, in fp32, fp16 (weights) or int8 (QDQ), and the comparison of those variants.
 *
 * @example
 * import { exportOnnx, compareVariants } from './deploy/onnx/index.ts';
 * const bytes = await exportOnnx(model, { precision: 'int8', calibration: { x: train.x, shape: train.shape } });
 */
export { exportOnnx, onnxGraph, writeOnnx } from './export.ts';
export type { ExportOnnxOptions, OnnxPrecision, SpecWithWeights } from './export.ts';
export { convertModel } from './convert.ts';
export { optimizeGraph } from './optimize.ts';
export { toFloat16, float16Value } from './fp16.ts';
export { quantizeInt8 } from './int8.ts';
export type { CalibrationOptions } from './int8.ts';
export { decodeOnnx, encodeOnnx, ONNX_IR_VERSION, ONNX_OPSET } from './proto.ts';
export { argmaxRows, onnxDims, onnxLogits, runOnnxBatches, toOnnxLayout } from './run.ts';
export type { RunBatchesOptions } from './run.ts';
export type { AttrValue, ElemType, Initializer, IrGraph, IrNode, IrValue } from './ir.ts';
export { maxAbsDiff, onnxParity, PARITY_TOLERANCE, tfLogits } from './parity.ts';
export type { ParityReport } from './parity.ts';
export { compareVariants, variantRows } from './compare.ts';
export type { CompareOptions, LabelledSamples, OnnxVariant, VariantLatency, VariantReport } from './compare.ts';
export { exportData, trainedOnMnist } from './data.ts';
export type { ExportData, ExportDataOptions } from './data.ts';
export { exportOnnxFolder, loadModelFolder, ONNX_FILE_NAMES } from './job.ts';
export type { ExportFolderOptions, ExportFolderResult } from './job.ts';
