import * as tf from '@tensorflow/tfjs-core';
import type { FrontEndMatrices } from './matrices.ts';
import { frontEndMatrices } from './matrices.ts';
import type { FrontEnd } from './spec.ts';

/** The front-end's constants as tensors, made once and reused for every batch. */
export interface FrontEndTensors {
  readonly frameIndex: tf.Tensor2D;
  /** [windowLength, 2 * bins]: real and imaginary bases side by side, one MatMul for both. */
  readonly dft: tf.Tensor2D;
  readonly mel: tf.Tensor2D;
  readonly dct?: tf.Tensor2D;
  readonly matrices: FrontEndMatrices;
  dispose(): void;
}

/**
 * Upload the front-end's matrices for clips of `samples` samples.
 *
 * @example
 * const t = frontEndTensors(fe, 16000);
 * try { const feats = frontEndApply(t, fe, waves); } finally { t.dispose(); }
 */
export function frontEndTensors(fe: FrontEnd, samples: number): FrontEndTensors {
  const m = frontEndMatrices(fe, samples);
  const W = fe.windowLength;
  const both = new Float32Array(W * 2 * m.bins);
  for (let n = 0; n < W; n++) {
    both.set(m.dftReal.subarray(n * m.bins, (n + 1) * m.bins), n * 2 * m.bins);
    both.set(m.dftImag.subarray(n * m.bins, (n + 1) * m.bins), n * 2 * m.bins + m.bins);
  }
  const frameIndex = tf.tensor2d(m.frameIndex, [m.frames, W], 'int32');
  const dft = tf.tensor2d(both, [W, 2 * m.bins]);
  const mel = tf.tensor2d(m.mel, [m.bins, fe.melBins]);
  const dct = m.dct ? tf.tensor2d(m.dct, [fe.melBins, fe.mfcc as number]) : undefined;
  const all = [frameIndex, dft, mel, ...(dct ? [dct] : [])];
  return { frameIndex, dft, mel, ...(dct ? { dct } : {}), matrices: m, dispose: () => all.forEach((t) => t.dispose()) };
}

/**
 * Log-mel spectrogram (or MFCC when `fe.mfcc` is set) of a batch of waveforms [n, samples] ->
 * [n, frames, melBins | mfcc], as matrix products only: Gather the frames, one MatMul with the
 * windowed DFT basis, square and add the real and imaginary halves, MatMul with the mel
 * filters, ln(x + logOffset), and MatMul with the DCT. The same graph is what an ONNX export
 * writes (Gather, MatMul, Mul, Add, Log), so TF.js and ONNX agree by construction.
 *
 * @example
 * const feats = tf.tidy(() => frontEndApply(t, fe, tf.tensor2d(waves, [n, 16000]))); // [n, 49, 40]
 */
export function frontEndApply(t: FrontEndTensors, fe: FrontEnd, waves: tf.Tensor2D): tf.Tensor3D {
  return tf.tidy(() => {
    const n = waves.shape[0];
    const { frames, bins } = t.matrices;
    const framed = tf.reshape(tf.gather(waves, t.frameIndex, 1), [n * frames, fe.windowLength]);
    const spec = tf.matMul(framed, t.dft);
    const sq = tf.square(spec);
    const power = tf.add(tf.slice(sq, [0, 0], [-1, bins]), tf.slice(sq, [0, bins], [-1, bins]));
    const logMel = tf.log(tf.add(tf.matMul(power, t.mel), fe.logOffset));
    // `fe` without mfcc on MFCC tensors gives the log-mel stage alone.
    const out = fe.mfcc !== undefined && t.dct ? tf.matMul(logMel, t.dct) : logMel;
    return tf.reshape(out, [n, frames, fe.mfcc ?? fe.melBins]);
  });
}

/**
 * One-shot convenience: the features of waveforms held in a Float32Array [n * samples].
 *
 * @example
 * const { values, shape } = await computeFeatures(fe, waves, 16000); // shape [n, 49, 40]
 */
export async function computeFeatures(fe: FrontEnd, waves: Float32Array, samples: number): Promise<{ values: Float32Array; shape: [number, number, number] }> {
  const t = frontEndTensors(fe, samples);
  try {
    const x = tf.tensor2d(waves, [waves.length / samples, samples]);
    const y = frontEndApply(t, fe, x);
    x.dispose();
    const values = (await y.data()) as Float32Array;
    const shape = y.shape;
    y.dispose();
    return { values, shape };
  } finally {
    t.dispose();
  }
}
