/**
 * The deploy stage: export (ONNX fp32/fp16/int8, TF.js), latency bench and predictor. A list
 * of re-exports: each sub-folder keeps its own public face.
 *
 * @example
 * import { exportOnnx, compareVariants } from './deploy/index.ts';
 */
export * from './onnx/index.ts';
export * from './tfjs/index.ts';
export * from './bench/index.ts';
export * from './predict/index.ts';
export * from './report/index.ts';
