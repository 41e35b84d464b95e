/**
 * The TF.js layer of distillery's audio front-end blocks (`logmel`, `mfcc`): raw audio
 * [batch, samples] in, log-mel spectrogram or MFCC [batch, frames, bins, 1] out, computed with
 * the matrices of src/features (the DFT basis with the Hann window folded in, the mel
 * filterbank, the orthonormal DCT) as matrix products. The matrices are rebuilt from the
 * layer's config when it is loaded, so they take no room in `weights.bin`; the layer has no
 * weights. It is registered with `tf.serialization.registerClass` when this module is imported.
 *
 * This file imports nothing but `@tensorflow/tfjs-core`, `@tensorflow/tfjs-layers` and the
 * front-end's math (src/features/frontend.ts and matrices.ts, which import tfjs-core only), so a
 * stock TF.js program loads an exported speech model with one extra import:
 *
 * @example
 * import * as tf from '@tensorflow/tfjs';
 * import 'distillery/audio-layers'; // registers DistilleryFrontEnd
 * const model = await tf.loadLayersModel('file://out/model/model.json');
 * model.predict(tf.zeros([1, 16000])); // one second of 16 kHz audio, values in [-1, 1)
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { frontEndApply, frontEndTensors, type FrontEndTensors } from '../features/frontend.ts';
import type { FrontEnd } from '../features/spec.ts';

type LayerArgs = NonNullable<ConstructorParameters<typeof tfl.layers.Layer>[0]>;
type Shape = (number | null)[];
type DisposeResult = ReturnType<InstanceType<typeof tfl.layers.Layer>['dispose']>;

const Layer = tfl.layers.Layer;

/** Config of {@link DistilleryFrontEnd}: the resolved front-end settings (see src/features/spec.ts). */
export interface FrontEndLayerConfig extends LayerArgs {
  sampleRate: number;
  windowLength: number;
  hopLength: number;
  fftSize: number;
  melBins: number;
  fmin: number;
  fmax: number;
  logOffset: number;
  melScale: 'slaney' | 'htk';
  melNorm: 'slaney' | 'none';
  /** MFCC coefficients kept; absent (or null in a saved config) for log-mel. */
  mfcc?: number | null;
}

/** The front-end settings of a layer config. */
export function frontEndOfConfig(c: FrontEndLayerConfig | Record<string, unknown>): FrontEnd {
  const k = c as FrontEndLayerConfig;
  const fe: FrontEnd = {
    sampleRate: k.sampleRate, windowLength: k.windowLength, hopLength: k.hopLength, fftSize: k.fftSize, melBins: k.melBins,
    fmin: k.fmin, fmax: k.fmax, logOffset: k.logOffset, melScale: k.melScale, melNorm: k.melNorm,
  };
  return k.mfcc === undefined || k.mfcc === null ? fe : { ...fe, mfcc: k.mfcc };
}

/**
 * Log-mel or MFCC of raw audio [N, samples] → [N, frames, melBins | mfcc, 1] (a one-channel
 * image, so the image blocks follow it). No weights: the constants come from the config.
 */
export class DistilleryFrontEnd extends Layer {
  static className = 'DistilleryFrontEnd';
  readonly fe: FrontEnd;
  private consts: FrontEndTensors | undefined;
  private samples = 0;
  /**
   * Applied to the features in training calls only (SpecAugment's masks, set by
   * `armSpecAugment` in spec-augment.ts); never saved, so inference and export ignore it.
   */
  trainingMask: ((features: tf.Tensor4D) => tf.Tensor4D) | undefined;

  constructor(args: FrontEndLayerConfig) {
    super(args);
    this.fe = frontEndOfConfig(args);
    this.trainable = false;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const n = s[1] as number;
    const frames = n < this.fe.windowLength ? 0 : 1 + Math.floor((n - this.fe.windowLength) / this.fe.hopLength);
    return [s[0]!, frames, this.fe.mfcc ?? this.fe.melBins, 1];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs?: Readonly<Record<string, unknown>>): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0]! : inputs) as tf.Tensor2D;
    const samples = x.shape[1]!;
    if (!this.consts || this.samples !== samples) {
      this.consts?.dispose();
      // kept past any tidy of the caller's (predict, fit) and reused for every later batch
      const t = frontEndTensors(this.fe, samples);
      for (const v of [t.dft, t.mel, ...(t.dct ? [t.dct] : [])]) tf.keep(v);
      this.consts = t;
      this.samples = samples;
    }
    const consts = this.consts!;
    const mask = kwargs?.['training'] === true ? this.trainingMask : undefined;
    return tf.tidy(() => {
      const y = tf.expandDims(frontEndApply(consts, this.fe, tf.cast(x, 'float32') as tf.Tensor2D), 3) as tf.Tensor4D;
      return mask ? mask(y) : y;
    });
  }

  override dispose(): DisposeResult {
    this.consts?.dispose();
    this.consts = undefined;
    return super.dispose();
  }

  override getConfig(): tf.serialization.ConfigDict {
    const { mfcc, ...rest } = this.fe;
    return { ...super.getConfig(), ...rest, mfcc: mfcc ?? null };
  }
}

tf.serialization.registerClass(DistilleryFrontEnd as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);
