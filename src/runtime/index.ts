/**
 * onnxruntime sessions (every onnxruntime-specific line of distillery lives in this folder), and
 * Chromium driven by playwright-core as a runtime that times TF.js models where web apps run them.
 * Used by ONNX teachers, and later by candidate evaluation and deploy.
 *
 * @example
 * import { openOnnx } from './runtime/index.ts';
 * const s = await openOnnx('model.onnx');
 */
export { openOnnx } from './onnx.ts';
export type { OnnxOpenOptions, OnnxSession, OnnxTensor, OnnxValueInfo } from './onnx.ts';
export { chromiumPath, openBrowser, PAGE_ORIGIN, webModelOf } from './browser.ts';
export type { BrowserOptions, BrowserSession, BrowserTiming, WebModel } from './browser.ts';
