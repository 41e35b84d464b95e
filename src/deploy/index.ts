/**
 * The deploy stage's jobs: export folders (ONNX with parity and variant comparison, TF.js),
 * latency bench and profiling, report. A list of re-exports: each sub-folder keeps its own
 * public face. The pure pieces they build on sit lower: ONNX conversion in `onnx/`, the latency
 * predictor's arithmetic in `models/latency/`, study summaries in `store/`.
 *
 * @example
 * import { exportOnnxFolder, compareVariants } from './deploy/index.ts';
 */
export * from './onnx/index.ts';
export * from './tfjs/index.ts';
export * from './bench/index.ts';
export * from './predict/index.ts';
export * from './report/index.ts';
