/**
 * ONNX conversion, in memory: a TF.js model (or spec + weights) as ONNX bytes that onnxruntime
 * runs with the same outputs, in fp32, fp16 (weights) or int8 (QDQ), and the parity check of
 * those bytes against the TF.js model. Pure graph building over `models/` and `runtime/`: a
 * floor, so evaluation can export a candidate with a plain import. The export job (files,
 * calibration data, variant comparison) is `deploy/onnx/`.
 *
 * @example
 * import { exportOnnx } from './onnx/index.ts';
 * const bytes = await exportOnnx(model, { precision: 'int8', calibration: { x: train.x, shape: train.shape } });
 */
export { exportOnnx, onnxGraph, writeOnnx } from './export.ts';
export type { ExportOnnxOptions, OnnxPrecision, SpecWithWeights } from './export.ts';
export { convertModel } from './convert.ts';
export { optimizeGraph } from './optimize.ts';
export { float16Bits, float16Value, toFloat16 } from './fp16.ts';
export { quantizeInt8 } from './int8.ts';
export type { CalibrationOptions } from './int8.ts';
export { decodeOnnx, encodeOnnx, ONNX_IR_VERSION, ONNX_OPSET } from './proto.ts';
export { argmaxRows, onnxDims, onnxLogits, runOnnxBatches, toOnnxLayout } from './run.ts';
export type { RunBatchesOptions } from './run.ts';
export type { AttrValue, ElemType, Initializer, IrGraph, IrNode, IrValue } from './ir.ts';
export { maxAbsDiff, onnxParity, PARITY_TOLERANCE, tfLogits } from './parity.ts';
export type { ParityReport } from './parity.ts';
