import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { DistilleryError } from '../../core/errors.ts';
import { Rng } from '../../core/rng.ts';
import { openOnnx, type OnnxSession, type OnnxTensor } from '../../runtime/index.ts';

/** Runtimes `bench` and `profile-device` can time models on. */
export const RUNTIMES = ['onnx', 'tfjs-wasm'] as const;
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
  throw new DistilleryError('BENCH_RUNTIME', `unknown runtime '${String(v)}'; known: ${RUNTIMES.join(', ')}`, `pass ${where} ${RUNTIMES[0]} or ${where} ${RUNTIMES[1]}`, where);
}

/** A model made ready for one batch size: `run` does one forward pass and waits for its output. */
export interface PreparedRun {
  run(): unknown;
  dispose(): void;
}

/** A model loaded on a runtime, ready to be timed at any batch size. */
export interface Runner {
  readonly runtime: RuntimeName;
  /** The model's input shape at batch `batch`, in the runtime's layout. */
  inputShape(batch: number): number[];
  prepare(batch: number, seed?: number): PreparedRun;
  release(): Promise<void>;
}

function randomInput(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = rng.next();
  return x;
}

/**
 * A TF.js model on the current engine (call `initEngine` first). Each run is `predict` followed
 * by `dataSync()`, so the time covers the whole forward pass and the read-back, as an app pays it.
 *
 * @example
 * await initEngine({ backend: 'wasm', threads: 1 });
 * const p = tfjsRunner(model).prepare(1);
 * p.run(); p.dispose();
 */
export function tfjsRunner(model: tfl.LayersModel): Runner {
  const sample = model.inputs[0]!.shape.slice(1) as number[];
  const shapeAt = (b: number): number[] => [b, ...sample];
  return {
    runtime: 'tfjs-wasm',
    inputShape: shapeAt,
    prepare(batch, seed = 1) {
      const shape = shapeAt(batch);
      const x = tf.tensor(randomInput(shape.reduce((a, d) => a * d, 1), seed), shape);
      return {
        run() {
          const y = model.predict(x) as tf.Tensor;
          y.dataSync();
          y.dispose();
        },
        dispose: () => x.dispose(),
      };
    },
    release: async () => {},
  };
}

/**
 * An ONNX model (bytes) in onnxruntime-node with `threads` intra-op threads. The batch goes into
 * the first input's first dimension, symbolic or not; other dimensions must be fixed.
 *
 * @example
 * const r = await onnxRunner(bytes, 'student.onnx', 1);
 * await r.prepare(32).run();
 */
export async function onnxRunner(bytes: Uint8Array, name: string, threads?: number): Promise<Runner> {
  const session: OnnxSession = await openOnnx(name, { bytes, ...(threads !== undefined ? { threads } : {}) });
  const input = session.inputs[0]!;
  const rest = input.shape.slice(1);
  if (input.shape.length === 0 || rest.some((d) => typeof d !== 'number' || d < 1)) {
    throw new DistilleryError('BENCH_ONNX_INPUT', `${name}: input '${input.name}' has shape [${input.shape.join(', ')}]; bench needs a fixed shape after the batch dimension`, 'export the model with fixed sample dimensions');
  }
  const shapeAt = (b: number): number[] => [b, ...(rest as number[])];
  const outputs = session.outputs.map((o) => o.name);
  return {
    runtime: 'onnx',
    inputShape: shapeAt,
    prepare(batch, seed = 1) {
      const dims = shapeAt(batch);
      const feeds: Record<string, OnnxTensor> = { [input.name]: { data: randomInput(dims.reduce((a, d) => a * d, 1), seed), dims } };
      return { run: () => session.run(feeds, outputs), dispose: () => {} };
    },
    release: () => session.release(),
  };
}
