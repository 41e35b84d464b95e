import { existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { DistilleryError } from '../core/errors.ts';
import { readClip, readMono } from '../data/audio/index.ts';
import { readModelInputs } from '../data/text/artifacts.ts';
import { initEngine, type BackendName } from '../engine/index.ts';
import { loadModel, METADATA_KEY } from '../models/index.ts';
import { decide, smoothPosteriors, streamSettings, windowStarts, type Detection, type StreamOptions, type StreamSettings } from './stream.ts';

/** How a model takes audio: the rate its clips were resampled to, and samples per clip. */
export interface AudioFeed {
  readonly sampleRate: number;
  readonly samples: number;
  /**
   * The model's front-end layer (raw audio in, features out) when it is one, with its hop:
   * a stream whose stride is a multiple of the hop computes the features once for the whole
   * recording instead of once per window.
   */
  readonly frontEnd?: { readonly layer: tfl.layers.Layer; readonly hopLength: number };
}

const FRONT_END_CLASS = 'DistilleryFrontEnd';

/**
 * How a loaded model takes audio, or undefined for a model of another kind: a model whose
 * front-end layer (the `logmel` / `mfcc` blocks) names its rate, or one whose metadata does
 * (`audio.sampleRate` or `sampleRate`, for a model trained on raw waveforms without a front-end).
 * Samples per clip come from the model's input `[batch, samples]`.
 *
 * @example
 * audioFeedOf(await loadModel('runs/kws-dscnn/model')); // { sampleRate: 16000, samples: 16000, frontEnd: … }
 */
export function audioFeedOf(model: tfl.LayersModel): AudioFeed | undefined {
  const meta = ((model.getUserDefinedMetadata() as Record<string, unknown> | undefined)?.[METADATA_KEY] ?? {}) as { audio?: { sampleRate?: number }; sampleRate?: number; inputShape?: number[] };
  const shape = model.inputs[0]!.shape;
  const samples = shape.length === 2 && typeof shape[1] === 'number' ? shape[1] : undefined;
  const layer = model.layers.find((l) => l.getClassName() === FRONT_END_CLASS);
  if (layer && samples !== undefined) {
    const c = layer.getConfig() as { sampleRate: number; hopLength: number };
    return { sampleRate: c.sampleRate, samples, frontEnd: { layer, hopLength: c.hopLength } };
  }
  const rate = meta.audio?.sampleRate ?? meta.sampleRate;
  if (rate !== undefined && samples !== undefined) return { sampleRate: rate, samples };
  return undefined;
}

/**
 * Read WAV clips as an audio model takes them, exactly as training read its data: decoded,
 * mixed down to mono, resampled to the model's rate, zero-padded at the end or cut to its
 * clip length. DATA_NOT_WAV, DATA_TRUNCATED, DATA_WAV_ENCODING … for a bad file.
 *
 * @example
 * const x = readAudioClips(['yes.wav', 'no.wav'], { sampleRate: 16000, samples: 16000 }); // [2 × 16000]
 */
export function readAudioClips(paths: readonly string[], input: AudioFeed): Float32Array {
  const x = new Float32Array(paths.length * input.samples);
  paths.forEach((p, i) => x.set(readClip(p, { sampleRate: input.sampleRate, samples: input.samples }), i * input.samples));
  return x;
}

/** Options of {@link predictStream}: the stream's settings, and how the model runs. */
export interface PredictStreamOptions extends StreamOptions {
  readonly backend?: BackendName;
  /** Engine threads (default: every core). */
  readonly threads?: number;
  /** Windows per forward pass (default 128). */
  readonly batchSize?: number;
}

/** What {@link predictStream} found in one recording, and how fast. */
export interface StreamResult {
  readonly file: string;
  readonly detections: Detection[];
  readonly settings: StreamSettings;
  /** Windows classified. */
  readonly windows: number;
  readonly audioSeconds: number;
  /** Seconds from reading the file to the last detection (the model's loading not counted). */
  readonly computeSeconds: number;
  /** audioSeconds / computeSeconds: how many times faster than real time. */
  readonly realTimeFactor: number;
  /** Whether the features were computed once for the whole recording (stride a multiple of the front-end's hop). */
  readonly sharedFeatures: boolean;
}

/**
 * Spot keywords in a long recording with a keyword-spotting model: a window of the model's
 * clip length every `strideSeconds`, classified in batches; the probabilities smoothed over
 * the last `smoothing` windows; a keyword fires when its smoothed probability reaches
 * `threshold`, then nothing fires for `suppressionSeconds` (src/jobs/stream.ts).
 *
 * @example
 * const r = await predictStream('runs/kws-dscnn/model', 'long.wav');
 * r.detections; // [{ label: 'yes', start: 3.2, end: 4.2, score: 0.93 }, …]
 * r.realTimeFactor; // audio seconds per compute second
 */
export async function predictStream(modelPath: string, file: string, opts: PredictStreamOptions = {}): Promise<StreamResult> {
  const dir = existsSync(modelPath) && statSync(modelPath).isFile() ? dirname(modelPath) : modelPath;
  await initEngine({ ...(opts.backend ? { backend: opts.backend } : {}), ...(opts.threads !== undefined ? { threads: opts.threads } : {}) });
  const model = await loadModel(dir);
  try {
    const input = audioFeedOf(model);
    if (!input) {
      throw new DistilleryError('PREDICT_STREAM_MODEL', `${modelPath}: --stream needs a model that takes audio (raw samples in, one class per clip out)`, 'train it on an audio data.source, e.g. examples/kws-dscnn.yaml', modelPath);
    }
    const clipSeconds = input.samples / input.sampleRate;
    const settings = streamSettings(opts, clipSeconds);
    const classNames = classNamesOf(model, dir);
    const t0 = performance.now();
    const audio = readMono(file, { sampleRate: input.sampleRate, samples: input.samples });
    const stride = Math.max(1, Math.round(settings.strideSeconds * input.sampleRate));
    const starts = windowStarts(audio.length, input.samples, stride);
    const { probs, shared: sharedFeatures } = await windowPosteriors(model, input, audio, starts, stride, opts.batchSize ?? 128, true);
    const K = classNames.length;
    const smoothed = smoothPosteriors(probs, starts.length, K, settings.smoothing);
    const detections = decide(smoothed, starts.length, classNames, starts.map((s) => s / input.sampleRate), clipSeconds, settings, opts.ignore);
    const computeSeconds = (performance.now() - t0) / 1000;
    const audioSeconds = audio.length / input.sampleRate;
    return { file, detections, settings, windows: starts.length, audioSeconds, computeSeconds, realTimeFactor: audioSeconds / computeSeconds, sharedFeatures };
  } finally {
    model.dispose();
  }
}

function classNamesOf(model: tfl.LayersModel, dir: string): string[] {
  const meta = ((model.getUserDefinedMetadata() as Record<string, unknown> | undefined)?.[METADATA_KEY] ?? {}) as { classNames?: string[] };
  const K = model.outputs[0]!.shape[1] as number;
  const saved = readModelInputs(dir).classNames ?? meta.classNames;
  return saved ? [...saved] : Array.from({ length: K }, (_, i) => String(i));
}

/** Whether windows `stride` samples apart can share the front-end's frames (the stride is a multiple of its hop). */
function canShare(input: AudioFeed, stride: number): boolean {
  return input.frontEnd !== undefined && stride % input.frontEnd.hopLength === 0;
}

/**
 * Class probabilities of the windows of `audio` that start at `starts` (`stride` samples
 * apart), `batch` windows per forward pass: with `shared` (and a stride that is a multiple of
 * the front-end's hop), the front-end runs once over each batch's stretch of audio and the rest
 * of the model on each window's frames; otherwise every window goes through the whole model.
 * Both give the same values up to float rounding. Returns `probs` `[starts.length × classes]`
 * and whether the features were shared.
 *
 * @example
 * const { probs } = await windowPosteriors(model, feed, audio, windowStarts(audio.length, 16000, 1600), 1600, 128, true);
 */
export async function windowPosteriors(
  model: tfl.LayersModel,
  input: AudioFeed,
  audio: Float32Array,
  starts: readonly number[],
  stride: number,
  batch: number,
  shared: boolean,
): Promise<{ probs: Float32Array; shared: boolean }> {
  // The rest model's layers are the model's own (same weights), freed with it: not disposed here.
  const rest = shared && canShare(input, stride) ? restOf(model, input.frontEnd!.layer) : undefined;
  if (rest) return { probs: await forwardShared(input.frontEnd!.layer, rest, audio, starts, input, stride, batch), shared: true };
  return { probs: await forwardWindows(model, audio, starts, input.samples, batch), shared: false };
}

/** Whether the model's last layer already outputs probabilities. */
export function endsInSoftmax(model: tfl.LayersModel): boolean {
  const last = model.layers[model.layers.length - 1];
  return (last?.getConfig() as { activation?: unknown }).activation === 'softmax' || last?.getClassName() === 'Softmax';
}

/** Every window cut from the audio and fed as raw samples, `batch` windows at a time. */
async function forwardWindows(model: tfl.LayersModel, audio: Float32Array, starts: readonly number[], samples: number, batch: number): Promise<Float32Array> {
  const K = model.outputs[0]!.shape[1] as number;
  const soft = endsInSoftmax(model);
  const out = new Float32Array(starts.length * K);
  for (let b = 0; b < starts.length; b += batch) {
    const e = Math.min(starts.length, b + batch);
    const x = new Float32Array((e - b) * samples);
    // A recording shorter than a clip is zero-padded, as training pads short clips.
    for (let i = b; i < e; i++) x.set(audio.subarray(starts[i], starts[i] + samples), (i - b) * samples);
    const p = tf.tidy(() => {
      const y = model.predict(tf.tensor2d(x, [e - b, samples])) as tf.Tensor;
      return soft ? y : tf.softmax(y);
    });
    out.set((await p.data()) as Float32Array, b * K);
    p.dispose();
  }
  return out;
}

// Built once per model: building it applies the model's layers once more, which adds a node to
// each, so a second build would take them for shared layers and fall back to whole windows.
const rests = new WeakMap<tfl.LayersModel, tfl.LayersModel | undefined>();
function restOf(model: tfl.LayersModel, frontEnd: tfl.layers.Layer): tfl.LayersModel | undefined {
  if (!rests.has(model)) rests.set(model, restOfModel(model, frontEnd));
  return rests.get(model);
}

/**
 * The model after its front-end: the same layers (same weights) applied to a new input of the
 * front-end's output shape, or undefined when the graph is not one the front-end alone feeds.
 */
function restOfModel(model: tfl.LayersModel, frontEnd: tfl.layers.Layer): tfl.LayersModel | undefined {
  const feOut = frontEnd.output as tfl.SymbolicTensor;
  const input = tfl.input({ shape: feOut.shape.slice(1) as number[] });
  const map = new Map<number, tfl.SymbolicTensor>([[feOut.id, input]]);
  let seen = false;
  for (const layer of model.layers) {
    if (layer === frontEnd) {
      seen = true;
      continue;
    }
    if (!seen || layer.getClassName() === 'InputLayer') continue;
    // A layer applied more than once in the model (shared) would need every node mapped.
    if (layer.inboundNodes.length !== 1) return undefined;
    const ins = layer.inboundNodes[0]!.inputTensors.map((t) => map.get(t.id));
    if (ins.some((t) => t === undefined)) return undefined;
    const out = layer.apply(ins.length === 1 ? ins[0]! : (ins as tfl.SymbolicTensor[])) as tfl.SymbolicTensor | tfl.SymbolicTensor[];
    const olds = layer.inboundNodes[0]!.outputTensors;
    const news = Array.isArray(out) ? out : [out];
    olds.forEach((t, i) => map.set(t.id, news[i]!));
  }
  const outs = model.outputs.map((t) => map.get(t.id));
  if (outs.some((t) => t === undefined)) return undefined;
  return tfl.model({ inputs: input, outputs: outs as tfl.SymbolicTensor[] });
}

/**
 * Features of each batch's stretch of audio computed once (the front-end layer on
 * `[1, stretch]`), each window's frames taken as a block of rows (exact: a window starts on a
 * multiple of the hop, so its frames are frames of the stretch), and the rest of the model on
 * those.
 */
async function forwardShared(frontEnd: tfl.layers.Layer, rest: tfl.LayersModel, audio: Float32Array, starts: readonly number[], input: AudioFeed, stride: number, batch: number): Promise<Float32Array> {
  const K = rest.outputs[0]!.shape[1] as number;
  const soft = endsInSoftmax(rest);
  const [, frames, bins] = (frontEnd.output as tfl.SymbolicTensor).shape as number[];
  const step = stride / input.frontEnd!.hopLength;
  const out = new Float32Array(starts.length * K);
  for (let b = 0; b < starts.length; b += batch) {
    const e = Math.min(starts.length, b + batch);
    const len = starts[e - 1]! - starts[b]! + input.samples;
    const stretch = new Float32Array(len);
    // A recording shorter than a clip is zero-padded, as training pads short clips.
    stretch.set(audio.subarray(starts[b]!, starts[b]! + len));
    const p = tf.tidy(() => {
      const f = tf.reshape(frontEnd.apply(tf.tensor2d(stretch, [1, len])) as tf.Tensor, [-1, bins!]);
      // Blocks of whole rows are contiguous: slicing them copies each block (no Gather).
      const windows = tf.stack(Array.from({ length: e - b }, (_, i) => tf.slice(f, [i * step, 0], [frames!, bins!])));
      const y = rest.predict(tf.expandDims(windows, 3)) as tf.Tensor;
      return soft ? y : tf.softmax(y);
    });
    out.set((await p.data()) as Float32Array, b * K);
    p.dispose();
  }
  return out;
}
