/**
 * onnxruntime sessions: every onnxruntime-specific line of distillery lives in this folder.
 * Used by ONNX teachers, and later by candidate evaluation and deploy.
 *
 * @example
 * import { openOnnx } from './runtime/index.ts';
 * const s = await openOnnx('model.onnx');
 */
export { openOnnx } from './onnx.ts';
export type { OnnxFeed, OnnxOpenOptions, OnnxSession, OnnxTensor, OnnxValueInfo } from './onnx.ts';
