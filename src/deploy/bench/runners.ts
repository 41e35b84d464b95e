import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { DistilleryError } from '../../core/errors.ts';
import { Rng } from '../../core/rng.ts';
import { openOnnx, type OnnxFeed, type OnnxSession } from '../../runtime/index.ts';
import { webModelOf, type BrowserSession } from '../../runtime/browser.ts';
import type { TimingOptions } from './stats.ts';

// The names live in their own file, so the CLI can list them in its help without loading TF.js.
export { NODE_RUNTIMES, RUNTIMES, runtimeName, type RuntimeName } from './runtimes.ts';
import type { RuntimeName } from './runtimes.ts';

/** A model made ready for one batch size: `run` does one forward pass and waits for its output. */
export interface PreparedRun {
  run(): unknown;
  /**
   * Times the runs where the model runs (the browser's page), when a run from here would
   * count a round trip: warm-up until steady, then the timed runs (ms).
   */
  time?(opts: TimingOptions): Promise<{ times: number[]; warmup: number }>;
  dispose(): void | Promise<void>;
}

/** A model loaded on a runtime, ready to be timed at any batch size. */
export interface Runner {
  readonly runtime: RuntimeName;
  /** The model's input shape at batch `batch`, in the runtime's layout. */
  inputShape(batch: number): number[];
  prepare(batch: number, seed?: number): PreparedRun | Promise<PreparedRun>;
  release(): Promise<void>;
}

function randomInput(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = rng.next();
  return x;
}

/**
 * Token ids for a text model: texts that fill the whole length (no padding: the attention and
 * pooling cost the most), every id 1 (`[UNK]`, in every vocabulary; a lookup costs the same for
 * any id, and a larger one could be outside a small vocabulary).
 */
function tokenInput(n: number): Int32Array {
  return new Int32Array(n).fill(1);
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
      const n = shape.reduce((a, d) => a * d, 1);
      const x = model.inputs[0]!.dtype === 'int32' ? tf.tensor(tokenInput(n), shape, 'int32') : tf.tensor(randomInput(n, seed), shape);
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
      const n = dims.reduce((a, d) => a * d, 1);
      const data = input.type === 'int32' ? tokenInput(n) : input.type === 'int64' ? new BigInt64Array(n).fill(1n) : randomInput(n, seed);
      const feeds: Record<string, OnnxFeed> = { [input.name]: { data, dims } };
      return { run: () => session.run(feeds, outputs), dispose: () => {} };
    },
    release: () => session.release(),
  };
}

/**
 * A TF.js model inside Chromium (a {@link BrowserSession}): served to the page as a web app
 * would fetch it, timed by the page itself on TF.js wasm. Each run is `predict` then
 * `dataSync()`, as {@link tfjsRunner} does in Node. Releasing it unloads the model, not the
 * browser.
 *
 * @example
 * const b = await openBrowser({ threads: 1 });
 * const r = await browserRunner(model, b);
 * const p = await r.prepare(1);
 * const { times } = await p.time!({ warmup: 10, iterations: 100 });
 */
export async function browserRunner(model: tfl.LayersModel, session: BrowserSession): Promise<Runner> {
  const id = await session.load(await webModelOf(model));
  const sample = model.inputs[0]!.shape.slice(1) as number[];
  const shapeAt = (b: number): number[] => [b, ...sample];
  return {
    runtime: 'browser',
    inputShape: shapeAt,
    async prepare(batch, seed = 1) {
      const key = await session.prepare(id, batch, seed);
      return {
        run: () => session.predict(key, id),
        time: (o) => {
          const warmup = o.warmup ?? 5;
          return session.time(key, id, { warmup, maxWarmup: Math.max(warmup, o.maxWarmup ?? Math.max(20 * warmup, 50)), iterations: o.iterations ?? 50, tolerance: o.tolerance ?? 0.05 });
        },
        dispose: () => {},
      };
    },
    release: () => session.unload(id),
  };
}
