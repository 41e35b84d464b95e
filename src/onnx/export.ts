import { readFileSync } from 'node:fs';
import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { writeFileAtomic } from '../core/fs.ts';
import { buildResolved, METADATA_KEY, resolveSpec, specFromModel } from '../models/index.ts';
import type { ModelSpec, ResolvedModelSpec } from '../models/index.ts';
import { convertModel } from './convert.ts';
import { toFloat16 } from './fp16.ts';
import type { IrGraph } from './ir.ts';
import { optimizeGraph } from './optimize.ts';
import { encodeOnnx } from './proto.ts';
import { quantizeInt8, type CalibrationOptions } from './int8.ts';

/** Numeric format of an exported ONNX model's weights. */
export type OnnxPrecision = 'fp32' | 'fp16' | 'int8';

/**
 * A complete spec (input shape and head included, as `specFromModel` or a search gives it) and
 * the weights of the model it builds, in `model.getWeights()` order.
 *
 * @example
 * await exportOnnx({ spec: specFromModel(model), weights: model.getWeights() });
 */
export interface SpecWithWeights {
  spec: ModelSpec | ResolvedModelSpec;
  weights: tf.Tensor[];
}

/** Options of {@link exportOnnx}. */
export interface ExportOnnxOptions {
  /** Default fp32. `int8` needs `calibration`. */
  precision?: OnnxPrecision;
  /** Samples (NHWC, normalised as in training) that set the int8 activation ranges. */
  calibration?: CalibrationOptions;
  /** Extra `metadata_props` entries (string values). */
  metadata?: Record<string, string>;
}

let version: string | undefined;
function distilleryVersion(): string {
  // src/deploy/onnx -> the package root; the same depth from dist/
  version ??= (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  return version;
}

function metadataOf(model: tfl.LayersModel): Record<string, string> {
  const meta = ((model.getUserDefinedMetadata() as Record<string, unknown> | undefined)?.[METADATA_KEY] ?? {}) as Record<string, unknown>;
  const out: Record<string, string> = { 'distillery.version': distilleryVersion() };
  try {
    out['distillery.spec'] = JSON.stringify(specFromModel(model));
  } catch {
    // a model distillery did not build: it exports all the same, without a spec
  }
  for (const key of ['normalization', 'classNames', 'numClasses', 'inputShape', 'audio'] as const) {
    if (meta[key] !== undefined) out[`distillery.${key}`] = JSON.stringify(meta[key]);
  }
  const shape = model.inputs[0]!.shape.slice(1);
  out['distillery.inputLayout'] = shape.length === 3 ? 'nchw' : 'flat';
  return out;
}

function asModel(source: tfl.LayersModel | SpecWithWeights): { model: tfl.LayersModel; owned: boolean } {
  if (!('spec' in source)) return { model: source, owned: false };
  const spec = resolveSpec(source.spec as ModelSpec);
  const model = buildResolved(spec);
  model.setWeights(source.weights);
  return { model, owned: true };
}

/**
 * The fp32 inference graph of a model (converted, BatchNorm folded, hswish fused), before
 * serialisation: for passes and tests.
 *
 * @example
 * onnxGraph(model).nodes.map((n) => n.op); // ['Flatten', 'Gemm', 'Relu', 'Gemm']
 */
export function onnxGraph(source: tfl.LayersModel | SpecWithWeights): IrGraph {
  const { model, owned } = asModel(source);
  try {
    const g = optimizeGraph(convertModel(model));
    g.metadata = metadataOf(model);
    return g;
  } finally {
    if (owned) model.dispose();
  }
}

/**
 * Exports a TF.js model (or a spec and its weights) as ONNX bytes: opset 17, input `input`
 * `[batch, C, H, W]` for images (`[batch, D]` for vectors), output `logits` `[batch, classes]`,
 * `metadata_props` with distillery's version, the spec, normalisation and class names.
 * `fp16` stores weights as float16 with a Cast after each (onnxruntime's CPU provider then
 * computes in float32); `int8` inserts QuantizeLinear/DequantizeLinear pairs (per-channel
 * symmetric int8 weights, per-tensor uint8 activations calibrated on `calibration`) that
 * onnxruntime fuses into integer kernels. Throws `EXPORT_UNSUPPORTED` naming a layer that
 * has no ONNX mapping.
 *
 * @example
 * const bytes = await exportOnnx(model);
 * const int8 = await exportOnnx(model, { precision: 'int8', calibration: { x: train.x.subarray(0, 512 * 784), count: 512 } });
 */
export async function exportOnnx(source: tfl.LayersModel | SpecWithWeights, opts: ExportOnnxOptions = {}): Promise<Uint8Array> {
  let g = onnxGraph(source);
  Object.assign(g.metadata, opts.metadata ?? {});
  const precision = opts.precision ?? 'fp32';
  g.metadata['distillery.precision'] = precision;
  if (precision === 'fp16') g = toFloat16(g);
  if (precision === 'int8') g = await quantizeInt8(g, opts.calibration);
  return encodeOnnx(g, distilleryVersion());
}

/**
 * {@link exportOnnx} into a file, written atomically (a temp file renamed over `path`).
 * Returns the size in bytes.
 *
 * @example
 * const bytes = await writeOnnx(model, 'out/model.onnx');
 */
export async function writeOnnx(source: tfl.LayersModel | SpecWithWeights, path: string, opts: ExportOnnxOptions = {}): Promise<number> {
  const bytes = await exportOnnx(source, opts);
  writeFileAtomic(path, bytes);
  return bytes.length;
}
