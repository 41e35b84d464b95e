import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { DistilleryError } from '../../core/errors.ts';
import { writeFileAtomic, writeJsonAtomic } from '../../core/fs.ts';
import { quantizeFloat16, quantizeUint8, type WeightQuantization } from './quantize.ts';

/** Weight quantization of a TF.js export: none, IEEE half, or affine uint8 per tensor. */
export type TfjsQuantize = 'float16' | 'uint8';

/** Options of {@link exportTfjs}. */
export interface TfjsExportOptions {
  /** Output folder: receives `model.json` and `group1-shard<i>of<n>.bin`. */
  out: string;
  quantize?: TfjsQuantize;
  /** Largest shard in bytes (default 4 MiB, the TF.js converter's: browsers cache files of that size well). */
  shardBytes?: number;
}

/** What {@link exportTfjs} wrote. */
export interface TfjsExportResult {
  dir: string;
  /** Paths of `model.json` and the shards. */
  files: string[];
  quantize: TfjsQuantize | 'none';
  /** Bytes of all shards together. */
  weightBytes: number;
  /** The same weights at float32. */
  fp32WeightBytes: number;
  /** `model.json` plus the shards. */
  totalBytes: number;
  /** Names of the weights stored quantized. */
  quantized: string[];
}

type Entry = tf.io.WeightsManifestEntry;

interface Artifacts {
  json: Record<string, unknown>;
  specs: Entry[];
  data: Uint8Array;
}

const DEFAULT_SHARD = 4 * 1024 * 1024;

/**
 * Writes a model in the TF.js layers format (`model.json` + binary weight shards), loadable by
 * stock `tf.loadLayersModel(url)` in a browser or Node, optionally with quantized weights in the
 * TF.js converter's format:
 * - `float16`: every float32 weight as IEEE half (½ the bytes);
 * - `uint8`: every kernel (the weights of rank ≥ 2: conv, depthwise and dense kernels) as uint8
 *   on one affine grid per tensor (¼ the bytes); biases and batch-norm values stay float32, as
 *   TFLite's and ONNX's quantizers keep them, because a BN variance or a bias on a 256-step
 *   grid shifts whole channels (and they are a tiny share of the bytes).
 *
 * `model` is a model folder (a `saveModel`/`distillery train` output; its bytes are re-encoded
 * without building the model) or a `tf.LayersModel`. The user-defined metadata is kept, with
 * `distillery.export = { format: 'tfjs', quantize }` added. Each file is written atomically.
 *
 * @example
 * const r = await exportTfjs('runs/mlp/model', { out: 'web/model', quantize: 'uint8' });
 * r.weightBytes / r.fp32WeightBytes; // ~0.25
 * // in the browser: await tf.loadLayersModel('/model/model.json')
 */
export async function exportTfjs(model: string | tfl.LayersModel, opts: TfjsExportOptions): Promise<TfjsExportResult> {
  const shardBytes = opts.shardBytes ?? DEFAULT_SHARD;
  if (!Number.isInteger(shardBytes) || shardBytes < 1) {
    throw new DistilleryError('TFJS_EXPORT_OPTIONS', `shardBytes ${String(opts.shardBytes)} is not a positive integer`, 'leave it out for 4 MiB shards');
  }
  if (opts.quantize !== undefined && opts.quantize !== 'float16' && opts.quantize !== 'uint8') {
    throw new DistilleryError('TFJS_QUANTIZE', `quantize '${String(opts.quantize)}' is not a TF.js weight quantization`, "use 'float16' or 'uint8' (or none)", 'quantize');
  }
  const a = typeof model === 'string' ? readFolder(model) : await fromModel(model);
  const { specs, chunks, quantized } = encode(a, opts.quantize);
  const data = concat(chunks);
  const n = Math.max(1, Math.ceil(data.length / shardBytes));
  const paths = Array.from({ length: n }, (_, i) => `group1-shard${i + 1}of${n}.bin`);
  const files: string[] = [];
  // Shards first, model.json last: a reader that sees model.json finds every shard it names.
  paths.forEach((p, i) => {
    const file = join(opts.out, p);
    writeFileAtomic(file, data.subarray(i * shardBytes, Math.min(data.length, (i + 1) * shardBytes)));
    files.push(file);
  });
  const meta = { ...(a.json['userDefinedMetadata'] as Record<string, unknown> | undefined) };
  const own = meta['distillery'];
  meta['distillery'] = { ...(typeof own === 'object' && own !== null ? own : {}), export: { format: 'tfjs', quantize: opts.quantize ?? 'none' } };
  const json = {
    ...a.json,
    format: 'layers-model',
    convertedBy: 'distillery',
    weightsManifest: [{ paths, weights: specs }],
    userDefinedMetadata: meta,
  };
  const modelJson = join(opts.out, 'model.json');
  writeJsonAtomic(modelJson, json);
  files.unshift(modelJson);
  return {
    dir: opts.out,
    files,
    quantize: opts.quantize ?? 'none',
    weightBytes: data.length,
    fp32WeightBytes: a.data.length,
    totalBytes: files.reduce((s, f) => s + statSync(f).size, 0),
    quantized,
  };
}

function encode(a: Artifacts, quantize: TfjsQuantize | undefined): { specs: Entry[]; chunks: Uint8Array[]; quantized: string[] } {
  const specs: Entry[] = [];
  const chunks: Uint8Array[] = [];
  const quantized: string[] = [];
  let offset = 0;
  for (const s of a.specs) {
    if (s.quantization) {
      throw new DistilleryError('TFJS_ALREADY_QUANTIZED', `weight '${s.name}' is already quantized (${s.quantization.dtype})`, 'export from the float32 model folder that training wrote');
    }
    const size = s.shape.reduce((p, d) => p * d, 1);
    // float32, int32 and bool are the only fixed-size dtypes a layers model stores
    const bytes = size * (s.dtype === 'bool' ? 1 : 4);
    if (s.dtype === 'string' || s.dtype === 'complex64' || offset + bytes > a.data.length) {
      throw new DistilleryError('TFJS_WEIGHTS', `weight '${s.name}' (${s.dtype} [${s.shape.join(', ')}]) does not fit the weight data`, 'save the model again with saveModel or `distillery train`');
    }
    const raw = a.data.subarray(offset, offset + bytes);
    offset += bytes;
    const wants = s.dtype === 'float32' && (quantize === 'float16' || (quantize === 'uint8' && s.shape.length >= 2));
    if (!wants) {
      specs.push({ name: s.name, shape: s.shape, dtype: s.dtype });
      chunks.push(raw);
      continue;
    }
    // copy: the slice may not be 4-byte aligned inside the file's buffer
    const values = new Float32Array(raw.slice().buffer);
    const q = quantize === 'float16' ? quantizeFloat16(values) : quantizeUint8(values);
    specs.push({ name: s.name, shape: s.shape, dtype: 'float32', quantization: q.quantization as WeightQuantization & Entry['quantization'] });
    chunks.push(q.bytes);
    quantized.push(s.name);
  }
  return { specs, chunks, quantized };
}

function readFolder(dir: string): Artifacts {
  const path = join(dir, 'model.json');
  if (!existsSync(path)) {
    throw new DistilleryError('MODEL_NOT_FOUND', `${path}: no such file`, 'pass the model folder that `distillery train` or `distill` wrote (it holds model.json)', path);
  }
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new DistilleryError('MODEL_JSON', `${path}: not valid JSON (${(e as Error).message})`, 'pass a TF.js layers model.json', path);
  }
  const manifest = json['weightsManifest'];
  if (typeof json['modelTopology'] !== 'object' || !Array.isArray(manifest)) {
    throw new DistilleryError('MODEL_FORMAT', `${path}: not a TF.js layers model (no modelTopology or weightsManifest)`, 'pass the model folder that `distillery train` or `distill` wrote', path);
  }
  const specs: Entry[] = [];
  const buffers: Uint8Array[] = [];
  for (const group of manifest as tf.io.WeightsManifestConfig) {
    specs.push(...group.weights);
    for (const p of group.paths) {
      const file = join(dir, p);
      if (!existsSync(file)) throw new DistilleryError('MODEL_NOT_FOUND', `${file}: no such file (named in ${path})`, 'copy the weight files along with model.json', file);
      buffers.push(new Uint8Array(readFileSync(file)));
    }
  }
  return { json, specs, data: concat(buffers) };
}

async function fromModel(model: tfl.LayersModel): Promise<Artifacts> {
  let out: Artifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      const data = a.weightData === undefined ? new ArrayBuffer(0) : new tf.io.CompositeArrayBuffer(a.weightData).slice();
      out = {
        json: { modelTopology: a.modelTopology, generatedBy: a.generatedBy ?? null, ...(a.userDefinedMetadata ? { userDefinedMetadata: a.userDefinedMetadata } : {}) },
        specs: a.weightSpecs ?? [],
        data: new Uint8Array(data),
      };
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) };
    }),
  );
  return out!;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
