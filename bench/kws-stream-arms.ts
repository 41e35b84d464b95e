/**
 * The speed arms of bench/kws-stream.ts, timed the same way on the same recording: read the
 * file, classify every window, smooth and decide (model loading excluded; wall and CPU time of
 * the process, every thread included):
 *
 * - `tfjs-shared`: TF.js with the front-end run once per batch's stretch of audio and the rest
 *   of the model on each window's frames (`predict --stream`'s path);
 * - `tfjs-window`: TF.js with every window through the whole model;
 * - `onnx-window`: onnxruntime (CPU provider, the same thread count) on the model's ONNX export,
 *   every window through the whole graph, in batches of the same size.
 *
 * The onnxruntime arm is the peer: its detections must equal TF.js's (same windows, same
 * smoothing and decisions), else the run reports a parity failure.
 */
import { rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { readMono } from '../src/data/audio/index.ts';
import { audioFeedOf, endsInSoftmax, windowPosteriors, type AudioFeed } from '../src/jobs/predict-audio.ts';
import { decide, smoothPosteriors, windowStarts, type Detection, type StreamSettings } from '../src/jobs/stream.ts';
import { loadModel } from '../src/models/index.ts';
import { writeOnnx } from '../src/onnx/index.ts';
import { openOnnx, type OnnxSession } from '../src/runtime/index.ts';
import { median } from './measure.ts';

export type ArmName = 'tfjs-shared' | 'tfjs-window' | 'onnx-window';

/** One arm's figures: medians over the rounds. */
export interface ArmResult {
  readonly arm: ArmName;
  /** Audio seconds per wall second (median over rounds). */
  readonly realTimeFactor: number;
  /** Audio seconds per CPU second of the process, every thread counted (median over rounds). */
  readonly cpuRealTimeFactor: number;
  readonly wallSeconds: number[];
  readonly cpuSeconds: number[];
  readonly detections: Detection[];
  /** The windows' class probabilities of the first round. */
  readonly probs: Float32Array;
}

/** What {@link runArms} measured. */
export interface ArmsReport {
  readonly arms: ArmResult[];
  /** Speed ratios of the real-time factors, wall and CPU (above 1: the first named is faster). */
  readonly ratios: { sharedOverWindow: number; sharedOverWindowCpu: number; onnxOverTfjsWindow?: number; onnxOverTfjsWindowCpu?: number };
  /** The peer's detections against TF.js per window: equal labels and times, and the largest probability gap. */
  readonly parity?: { detectionsEqual: boolean; maxProbDiff: number };
  /** The ONNX file the peer ran (a temporary export when --onnx was not given). */
  readonly onnx?: string;
}

type Posteriors = (audio: Float32Array, starts: readonly number[], stride: number) => Promise<Float32Array>;

/**
 * Load the model once, then take `rounds` turns of every arm (one after another in each round,
 * so a change of load hits all of them) over the recording `wav`.
 *
 * @example
 * const r = await runArms('runs/kws/model', 'long.wav', settings, { peer: 'onnx', threads: 1, rounds: 3 });
 */
export async function runArms(modelDir: string, wav: string, settings: StreamSettings, opts: { peer: 'onnx' | 'none'; onnx?: string | undefined; threads: number; rounds: number; batch?: number; classNames: readonly string[] }): Promise<ArmsReport> {
  const model = await loadModel(modelDir);
  const input = audioFeedOf(model)!;
  const batch = opts.batch ?? 128;
  const tmp = mkdtempSync(join(tmpdir(), 'distillery-kws-onnx-'));
  let session: OnnxSession | undefined;
  try {
    const posteriors: [ArmName, Posteriors][] = [
      ['tfjs-shared', async (a, s, stride) => (await windowPosteriors(model, input, a, s, stride, batch, true)).probs],
      ['tfjs-window', async (a, s, stride) => (await windowPosteriors(model, input, a, s, stride, batch, false)).probs],
    ];
    let onnx: string | undefined;
    if (opts.peer === 'onnx') {
      onnx = opts.onnx ?? join(tmp, 'model.onnx');
      if (!opts.onnx) await writeOnnx(model, onnx);
      const s = await openOnnx(onnx, { threads: opts.threads });
      session = s;
      posteriors.push(['onnx-window', (a, st) => onnxPosteriors(s, a, st, input.samples, batch, endsInSoftmax(model))]);
    }
    const times = new Map<ArmName, { wall: number[]; cpu: number[]; detections?: Detection[]; probs?: Float32Array }>(posteriors.map(([n]) => [n, { wall: [], cpu: [] }]));
    let audioSeconds = 0;
    for (let r = 0; r < opts.rounds; r++) {
      for (const [name, post] of posteriors) {
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        const scan = await scanWith(post, wav, input, settings, opts.classNames);
        const wall = (performance.now() - t0) / 1000;
        const c = process.cpuUsage(c0);
        const t = times.get(name)!;
        t.wall.push(wall);
        t.cpu.push((c.user + c.system) / 1e6);
        t.detections ??= scan.detections;
        t.probs ??= scan.probs;
        audioSeconds = scan.audioSeconds;
      }
    }
    const arms: ArmResult[] = posteriors.map(([arm]) => {
      const t = times.get(arm)!;
      return {
        arm,
        realTimeFactor: audioSeconds / median(t.wall),
        cpuRealTimeFactor: audioSeconds / median(t.cpu),
        wallSeconds: t.wall,
        cpuSeconds: t.cpu,
        detections: t.detections!,
        probs: t.probs!,
      };
    });
    const by = (n: ArmName) => arms.find((a) => a.arm === n);
    const shared = by('tfjs-shared')!;
    const window = by('tfjs-window')!;
    const ort = by('onnx-window');
    return {
      arms,
      ratios: {
        sharedOverWindow: shared.realTimeFactor / window.realTimeFactor,
        sharedOverWindowCpu: shared.cpuRealTimeFactor / window.cpuRealTimeFactor,
        ...(ort ? { onnxOverTfjsWindow: ort.realTimeFactor / window.realTimeFactor, onnxOverTfjsWindowCpu: ort.cpuRealTimeFactor / window.cpuRealTimeFactor } : {}),
      },
      ...(ort ? { parity: { detectionsEqual: sameDetections(ort.detections, window.detections) && sameDetections(ort.detections, shared.detections), maxProbDiff: maxAbsDiff(ort.probs, window.probs) } } : {}),
      ...(onnx && opts.onnx ? { onnx } : onnx ? { onnx: '(temporary export)' } : {}),
    };
  } finally {
    await session?.release();
    model.dispose();
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** `predict --stream`'s scan (src/jobs/predict-audio.ts predictStream) with the posteriors of one arm. */
async function scanWith(post: Posteriors, wav: string, input: AudioFeed, settings: StreamSettings, classNames: readonly string[]) {
  const audio = readMono(wav, { sampleRate: input.sampleRate, samples: input.samples });
  const stride = Math.max(1, Math.round(settings.strideSeconds * input.sampleRate));
  const starts = windowStarts(audio.length, input.samples, stride);
  const probs = await post(audio, starts, stride);
  const smoothed = smoothPosteriors(probs, starts.length, classNames.length, settings.smoothing);
  const detections = decide(smoothed, starts.length, classNames, starts.map((s) => s / input.sampleRate), input.samples / input.sampleRate, settings);
  return { probs, detections, audioSeconds: audio.length / input.sampleRate };
}

/** Every window through the ONNX graph, `batch` at a time, as TF.js's per-window path cuts them. */
async function onnxPosteriors(s: OnnxSession, audio: Float32Array, starts: readonly number[], samples: number, batch: number, soft: boolean): Promise<Float32Array> {
  const name = s.inputs[0]!.name;
  const outName = s.outputs[0]!.name;
  let out: Float32Array | undefined;
  let K = 0;
  for (let b = 0; b < starts.length; b += batch) {
    const e = Math.min(starts.length, b + batch);
    const x = new Float32Array((e - b) * samples);
    for (let i = b; i < e; i++) x.set(audio.subarray(starts[i], starts[i]! + samples), (i - b) * samples);
    const y = (await s.run({ [name]: { data: x, dims: [e - b, samples] } }, [outName]))[outName]!;
    K = y.dims[1]!;
    out ??= new Float32Array(starts.length * K);
    out.set(soft ? y.data : softmaxRows(y.data, K), b * K);
  }
  return out ?? new Float32Array(0);
}

function softmaxRows(x: Float32Array, k: number): Float32Array {
  return tf.tidy(() => tf.softmax(tf.tensor2d(x, [x.length / k, k])).dataSync() as Float32Array);
}

function sameDetections(a: readonly Detection[], b: readonly Detection[]): boolean {
  return a.length === b.length && a.every((d, i) => d.label === b[i]!.label && d.start === b[i]!.start && d.end === b[i]!.end);
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
