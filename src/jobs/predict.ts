import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { DistilleryError } from '../core/errors.ts';
import type { Dataset } from '../data/dataset.ts';
import { applyStats, type Normalization } from '../data/normalize.ts';
import { readSamples } from '../data/samples.ts';
import { readModelInputs } from '../data/text/artifacts.ts';
import { decodeText } from '../data/text/decode.ts';
import { initEngine, type BackendName } from '../engine/index.ts';
import { loadModel, METADATA_KEY } from '../models/index.ts';
import { audioFeedOf, readAudioClips } from './predict-audio.ts';

/** One input's prediction: the class, and every class's probability. */
export interface Prediction {
  /** The text (for a text model) or the file (`file#i` for the i-th sample of a stack). */
  readonly input: string;
  readonly label: string;
  /** Index of `label` among the model's classes. */
  readonly index: number;
  /** Class name → probability (softmax of the logits), in the model's class order. */
  readonly probabilities: Record<string, number>;
}

/** Options of {@link predict}. */
export interface PredictOptions {
  /** Engine (default auto). */
  readonly backend?: BackendName;
  /** Samples per forward pass (default 256). */
  readonly batchSize?: number;
  /** Engine threads (default: every core). */
  readonly threads?: number;
}

/**
 * Classify raw inputs with a saved model folder (`model.json` with its `labels.json`, and
 * `tokenizer.json` for a text model): texts are tokenized with the model's own tokenizer at its
 * training length; files (PGM images, NPY/IDX stacks, CSV rows) are read and normalised as the
 * model's training data was; WAV clips for an audio model are decoded, mixed down, resampled
 * and padded or cut to its clip length, as its training clips were. Returns one prediction per
 * text or clip, or per sample in each file.
 *
 * @example
 * const [p] = await predict('runs/spam-student/model', ['Win a FREE cruise, reply now']);
 * p.label; // 'spam'
 * p.probabilities; // { ham: 0.03, spam: 0.97 }
 */
export async function predict(modelPath: string, inputs: readonly string[], opts: PredictOptions = {}): Promise<Prediction[]> {
  const dir = existsSync(modelPath) && statSync(modelPath).isFile() ? dirname(modelPath) : modelPath;
  if (existsSync(modelPath) && statSync(modelPath).isFile() && modelPath.endsWith('.onnx')) {
    throw new DistilleryError('PREDICT_MODEL', `${modelPath}: predict reads TF.js model folders`, 'pass the model folder that train or distill wrote (it holds model.json)', modelPath);
  }
  if (inputs.length === 0) throw new DistilleryError('PREDICT_NO_INPUT', 'nothing to predict', 'pass texts or files after the model, or --file with one text per line', 'INPUT');
  await initEngine({ ...(opts.backend ? { backend: opts.backend } : {}), ...(opts.threads !== undefined ? { threads: opts.threads } : {}) });
  const model = await loadModel(dir);
  try {
    const meta = ((model.getUserDefinedMetadata() as Record<string, unknown> | undefined)?.[METADATA_KEY] ?? {}) as { normalization?: Normalization; inputShape?: number[]; classNames?: string[] };
    const { tokenizer, classNames: saved } = readModelInputs(dir);
    const K = model.outputs[0].shape[1] as number;
    const classNames = saved ?? meta.classNames ?? Array.from({ length: K }, (_, i) => String(i));
    const audio = audioFeedOf(model);
    const shape = audio ? [audio.samples] : (meta.inputShape ?? (model.inputs[0].shape.slice(1) as number[]));
    let x: Float32Array;
    let names: string[];
    if (audio) {
      // WAV clips, read as training read them (mono, the model's rate, padded or cut to its clip).
      x = readAudioClips(inputs, audio);
      names = [...inputs];
    } else if (tokenizer) {
      const L = shape[0];
      x = Float32Array.from(tokenizer.encodeBatch(inputs, { maxLength: L }).ids);
      names = [...inputs];
    } else {
      const parts = inputs.map((p) => readSamples(p, shape));
      x = concat(parts.map((p) => p.x));
      names = parts.flatMap((p) => p.names);
      const norm = meta.normalization;
      if (norm && norm.kind !== 'none') {
        const ds: Dataset = { x, y: new Int32Array(names.length), shape, numClasses: K, classNames };
        applyStats(ds, norm, x);
      }
    }
    const probs = await forward(model, x, names.length, shape, opts.batchSize ?? 256);
    return names.map((input, i) => {
      const row = probs.subarray(i * K, (i + 1) * K);
      let best = 0;
      for (let k = 1; k < K; k++) if (row[k] > row[best]) best = k;
      return { input, label: classNames[best], index: best, probabilities: Object.fromEntries(classNames.map((c, k) => [c, row[k]])) };
    });
  } finally {
    model.dispose();
  }
}

/**
 * The texts of a file, one per line (a trailing empty line is dropped; other empty lines are
 * inputs too). Bytes that are not UTF-8 are read as latin-1.
 *
 * @example
 * await predict('runs/spam/model', readLines('mails.txt'));
 */
export function readLines(path: string): string[] {
  if (!existsSync(path)) throw new DistilleryError('PREDICT_NO_INPUT', `${path}: no such file`, 'pass a text file with one input per line', '--file');
  const lines = decodeText(readFileSync(path), path, 'auto').text.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

async function forward(model: tfl.LayersModel, x: Float32Array, n: number, shape: readonly number[], batch: number): Promise<Float32Array> {
  const d = shape.reduce((a, b) => a * b, 1);
  const K = model.outputs[0].shape[1] as number;
  const out = new Float32Array(n * K);
  const last = model.layers[model.layers.length - 1];
  const softmaxed = (last?.getConfig() as { activation?: unknown }).activation === 'softmax' || last?.getClassName() === 'Softmax';
  const dtype = model.inputs[0].dtype === 'int32' ? 'int32' : 'float32';
  const want = model.inputs[0].shape.slice(1) as number[];
  const feedShape = want.every((v) => typeof v === 'number') && want.reduce((a, b) => a * b, 1) === d ? want : [...shape];
  for (let s = 0; s < n; s += batch) {
    const e = Math.min(n, s + batch);
    const p = tf.tidy(() => {
      const t = tf.tensor(dtype === 'int32' ? Int32Array.from(x.subarray(s * d, e * d)) : x.subarray(s * d, e * d), [e - s, ...feedShape], dtype);
      const y = model.predict(t) as tf.Tensor;
      return softmaxed ? y : tf.softmax(y);
    });
    out.set((await p.data()) as Float32Array, s * K);
    p.dispose();
  }
  return out;
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
