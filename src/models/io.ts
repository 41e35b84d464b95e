import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { DistilleryError } from '../core/errors.ts';
import { writeFileAtomic, writeJsonAtomic } from '../core/fs.ts';
import { METADATA_KEY } from './build.ts';

/**
 * Topology file inside a saved model folder (the stock TF.js layers format).
 *
 * @example
 * join(dir, MODEL_JSON); // what tf.loadLayersModel('http://host/model/model.json') fetches
 */
export const MODEL_JSON = 'model.json';
/**
 * Weight file beside {@link MODEL_JSON}, named in its weightsManifest.
 *
 * @example
 * statSync(join(dir, WEIGHTS_BIN)).size; // 4 bytes per parameter
 */
export const WEIGHTS_BIN = 'weights.bin';

type Meta = Record<string, unknown>;

function merged(own: Meta | undefined, extra: Meta | undefined): Meta {
  const out: Meta = { ...extra, ...own };
  const a = extra?.[METADATA_KEY];
  const b = own?.[METADATA_KEY];
  // Our resolved spec (with input shape and head) wins over a caller's raw spec; other keys merge.
  if (isObj(a) || isObj(b)) out[METADATA_KEY] = { ...(isObj(a) ? a : {}), ...(isObj(b) ? b : {}) };
  return out;
}

function isObj(v: unknown): v is Meta {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Saves a model as `dir/model.json` + `dir/weights.bin` (the format `tf.loadLayersModel` reads
 * over HTTP or from files in stock TF.js), each file written atomically, weights first.
 * `metadata` is merged into the model's user-defined metadata (the `distillery` entries merge
 * key by key, the model's own spec winning).
 *
 * @example
 * await saveModel(model, 'out/model', { distillery: { numClasses: 10 } });
 */
export async function saveModel(model: tfl.LayersModel, dir: string, metadata?: Meta): Promise<void> {
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      const data = a.weightData === undefined ? new ArrayBuffer(0) : new tf.io.CompositeArrayBuffer(a.weightData).slice();
      writeFileAtomic(join(dir, WEIGHTS_BIN), new Uint8Array(data));
      writeJsonAtomic(join(dir, MODEL_JSON), {
        format: 'layers-model',
        generatedBy: a.generatedBy ?? null,
        convertedBy: null,
        modelTopology: a.modelTopology,
        weightsManifest: [{ paths: [WEIGHTS_BIN], weights: a.weightSpecs ?? [] }],
        userDefinedMetadata: merged(a.userDefinedMetadata as Meta | undefined, metadata),
      });
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) };
    }),
  );
}

/**
 * Loads a model folder written by {@link saveModel} (or any TF.js layers model folder whose
 * weight files sit beside `model.json`), user-defined metadata included.
 *
 * @example
 * const model = await loadModel('out/model');
 * specFromModel(model);
 */
export async function loadModel(dir: string): Promise<tfl.LayersModel> {
  const path = join(dir, MODEL_JSON);
  if (!existsSync(path)) {
    throw new DistilleryError('MODEL_NOT_FOUND', `${path}: no such file`, 'pass the folder that saveModel or `distillery train` wrote (it holds model.json)', path);
  }
  let json: tf.io.ModelJSON;
  try {
    json = JSON.parse(readFileSync(path, 'utf8')) as tf.io.ModelJSON;
  } catch (e) {
    throw new DistilleryError('MODEL_JSON', `${path}: not valid JSON (${(e as Error).message})`, 'save the model again', path);
  }
  const artifacts = await tf.io.getModelArtifactsForJSON(json, async (manifest) => {
    const specs: tf.io.WeightsManifestEntry[] = [];
    const buffers: ArrayBuffer[] = [];
    for (const group of manifest) {
      specs.push(...group.weights);
      for (const p of group.paths) {
        const file = join(dir, p);
        if (!existsSync(file)) throw new DistilleryError('MODEL_NOT_FOUND', `${file}: no such file (named in ${path})`, 'copy the weight files along with model.json', file);
        const b = readFileSync(file);
        buffers.push(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
      }
    }
    return [specs, new tf.io.CompositeArrayBuffer(buffers).slice()];
  });
  return tfl.loadLayersModel(tf.io.fromMemory(artifacts));
}
