import { readFileSync, existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import { DistilleryError } from '../core/errors.ts';

/** One input or output of an ONNX graph: its name, element type and shape (a string for a symbolic dimension such as `batch`). */
export interface OnnxValueInfo {
  readonly name: string;
  readonly type: string;
  readonly shape: readonly (number | string)[];
}

/** A float32 tensor as plain data: what goes into and comes out of {@link OnnxSession.run}. */
export interface OnnxTensor {
  readonly data: Float32Array;
  readonly dims: readonly number[];
}

/** An input tensor: float32, or int32/int64 token ids (a text model's input). */
export interface OnnxFeed {
  readonly data: Float32Array | Int32Array | BigInt64Array;
  readonly dims: readonly number[];
}

/** Options for {@link openOnnx}. */
export interface OnnxOpenOptions {
  /** Intra-op threads; default: every core (`os.availableParallelism()`). */
  readonly threads?: number;
  /** The file's bytes, when the caller has already read them (to hash them, say). */
  readonly bytes?: Uint8Array;
  /**
   * Where onnxruntime writes the graph it actually runs, after its fusions (what the latency
   * predictor's kernel list is checked against).
   */
  readonly optimizedModelPath?: string;
}

/**
 * An onnxruntime session over one model file. Every onnxruntime-specific line of distillery
 * lives in `src/runtime/`: callers see plain Float32Arrays and shapes.
 *
 * @example
 * const s = await openOnnx('examples/teachers/mnist-cnn.onnx');
 * const out = await s.run({ input: { data: new Float32Array(784), dims: [1, 1, 28, 28] } });
 * out.logits.dims; // [1, 10]
 * await s.release();
 */
export interface OnnxSession {
  readonly path: string;
  readonly inputs: readonly OnnxValueInfo[];
  readonly outputs: readonly OnnxValueInfo[];
  /** Run the graph on float32 feeds; returns the named outputs (all graph outputs by default). */
  run(feeds: Record<string, OnnxFeed>, outputs?: readonly string[]): Promise<Record<string, OnnxTensor>>;
  release(): Promise<void>;
}

function info(m: ort.InferenceSession.ValueMetadata): OnnxValueInfo {
  return m.isTensor ? { name: m.name, type: m.type, shape: [...m.shape] } : { name: m.name, type: 'non-tensor', shape: [] };
}

/**
 * Open an ONNX model with onnxruntime's CPU provider: all graph optimisations on, one
 * intra-op thread per core (onnxruntime's 1024³ matmul runs at ~153 GFLOP/s on this class of
 * machine against ~56 for tfjs-wasm, which is why teachers' logits are computed here).
 * Throws `ONNX_NOT_FOUND` for a missing file and `ONNX_FORMAT` for bytes onnxruntime cannot
 * load, each naming the file.
 *
 * @example
 * const s = await openOnnx('teacher.onnx', { threads: 2 });
 * s.inputs[0]; // { name: 'input', type: 'float32', shape: ['batch', 1, 28, 28] }
 */
export async function openOnnx(path: string, opts: OnnxOpenOptions = {}): Promise<OnnxSession> {
  let bytes = opts.bytes;
  if (!bytes) {
    if (!existsSync(path)) throw new DistilleryError('ONNX_NOT_FOUND', `${path}: no such file`, 'check the path (relative paths are resolved from the config file)', path);
    bytes = readFileSync(path);
  }
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      intraOpNumThreads: opts.threads ?? availableParallelism(),
      // One model at a time: parallel execution of independent nodes only adds threads.
      interOpNumThreads: 1,
      executionMode: 'sequential',
      ...(opts.optimizedModelPath ? { optimizedModelFilePath: opts.optimizedModelPath } : {}),
    });
  } catch (e) {
    const why = String((e as Error).message ?? e).split('\n')[0];
    throw new DistilleryError('ONNX_FORMAT', `${path}: not an ONNX model onnxruntime can load (${why})`, 'pass a .onnx file exported with torch.onnx.export, tf2onnx or similar', path);
  }
  return wrap(path, session);
}

function wrap(path: string, session: ort.InferenceSession): OnnxSession {
  const inputs = session.inputMetadata.map(info);
  const outputs = session.outputMetadata.map(info);
  return {
    path,
    inputs,
    outputs,
    async run(feeds, names) {
      const ortFeeds: Record<string, ort.Tensor> = {};
      for (const [k, v] of Object.entries(feeds)) {
        const type = v.data instanceof Int32Array ? 'int32' : v.data instanceof BigInt64Array ? 'int64' : 'float32';
        ortFeeds[k] = new ort.Tensor(type, v.data, [...v.dims]);
      }
      const res = await session.run(ortFeeds, names ? [...names] : outputs.map((o) => o.name));
      const out: Record<string, OnnxTensor> = {};
      for (const [k, t] of Object.entries(res)) {
        if (t.type !== 'float32') {
          throw new DistilleryError('ONNX_OUTPUT_TYPE', `${path}: output '${k}' is ${t.type}, distillery reads float32 outputs`, 'export the model with float32 outputs', path);
        }
        out[k] = { data: t.data as Float32Array, dims: t.dims.map(Number) };
      }
      return out;
    },
    release: () => session.release(),
  };
}
