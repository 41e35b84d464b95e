// The runtime names alone (runners.ts re-exports them): the CLI lists them in its help without
// loading TF.js or onnxruntime.
import { DistilleryError } from '../../core/errors.ts';

/**
 * Runtimes `bench` and `profile-device` can time models on: onnxruntime-node, TF.js on wasm in
 * Node, and TF.js on wasm inside Chromium (`browser`, see runtime/browser.ts).
 */
export const RUNTIMES = ['onnx', 'tfjs-wasm', 'browser'] as const;
/** What `report` times on when not told: the two that need nothing outside Node. */
export const NODE_RUNTIMES = ['onnx', 'tfjs-wasm'] as const;
/** One of {@link RUNTIMES}. */
export type RuntimeName = (typeof RUNTIMES)[number];

/**
 * Checks a runtime name from the user: `BENCH_RUNTIME` listing the known ones otherwise.
 *
 * @example
 * runtimeName('onnx'); // 'onnx'
 * runtimeName('tflite'); // throws: unknown runtime 'tflite'; known: onnx, tfjs-wasm
 */
export function runtimeName(v: unknown, where = '--runtime'): RuntimeName {
  if (typeof v === 'string' && (RUNTIMES as readonly string[]).includes(v)) return v as RuntimeName;
  throw new DistilleryError('BENCH_RUNTIME', `unknown runtime '${String(v)}'; known: ${RUNTIMES.join(', ')}`, `pass ${where} ${RUNTIMES.join(', ')}`, where);
}
