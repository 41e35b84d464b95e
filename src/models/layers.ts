import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { batchNormTrain } from '../engine/index.ts';
import type { ActivationName } from './activations.ts';

/**
 * A symbolic tensor flowing through the graph while a model is built.
 *
 * @example
 * const x: Sym = tfl.input({ shape: [28, 28, 1] });
 */
export type Sym = tfl.SymbolicTensor;

/** Activations that tfjs-layers knows by name, so Conv2D/Dense can fuse them. */
const builtin = new Set<ActivationName>(['relu', 'relu6', 'sigmoid', 'tanh', 'swish']);

/**
 * Whether `fn` can live inside a Conv2D/Dense layer's `activation` (stock tfjs-layers name).
 *
 * @example
 * isBuiltinActivation('relu6'); // true; 'hswish' is false (built from several layers)
 */
export function isBuiltinActivation(fn: ActivationName): fn is 'relu' | 'relu6' | 'sigmoid' | 'tanh' | 'swish' {
  return builtin.has(fn);
}

/**
 * Hands out seeded initialisers. Each call gets its own seed (derived from the model seed and a
 * counter) so that two layers of the same shape do not start with identical weights.
 *
 * @example
 * const inits = new Inits(seed);
 * tfl.layers.dense({ units: 10, kernelInitializer: inits.glorot() });
 */
export class Inits {
  private n = 0;
  constructor(private readonly seed: number) {}

  glorot(): ReturnType<typeof tfl.initializers.glorotUniform> {
    // 7919 (a prime) spreads the per-layer seeds; any injective map would do.
    return tfl.initializers.glorotUniform({ seed: this.next() });
  }

  /** A fresh seed, for layers that make their own initialisers. */
  next(): number {
    return this.seed * 7919 + ++this.n;
  }
}

function one(y: Sym | Sym[] | tfl.SymbolicTensor[]): Sym {
  return Array.isArray(y) ? y[0]! : y;
}

/**
 * Applies a layer to one symbolic tensor (or a list, for merge layers) and returns one.
 *
 * @example
 * y = call(tfl.layers.flatten({ name: 'b3_flatten' }), y);
 */
export function call(layer: { apply(x: Sym | Sym[]): unknown }, x: Sym | Sym[]): Sym {
  return one(layer.apply(x) as Sym | Sym[]);
}

/** relu6(x + 3) / 6 from stock layers: Rescaling(1/6, +0.5) then ReLU clipped at 1. */
function hardSigmoid(x: Sym, name: string): Sym {
  const pre = call(tfl.layers.rescaling({ scale: 1 / 6, offset: 0.5, name: `${name}_pre` }), x);
  return call(tfl.layers.reLU({ maxValue: 1, name }), pre);
}

interface ActivationFn { apply(x: tf.Tensor): tf.Tensor }
let relu6Class: (new () => ActivationFn) | undefined;

/**
 * A stock `Activation('relu6')` layer whose function runs TF.js's `relu6` op: one Relu6 kernel
 * forward and one gradient kernel back, where tfjs-layers' own relu6 is `minimum(6, relu(x))`
 * (two full-size passes each way; a MobileNetV2 step spent ~10% in them). Same values; the
 * gradient at exactly x = 6 is dy (TF.js's Relu6 gradient) instead of 0. The function keeps
 * the class name 'relu6', so the layer saves as the stock one.
 */
function relu6Layer(name: string): ReturnType<typeof tfl.layers.activation> {
  const layer = tfl.layers.activation({ activation: 'relu6', name });
  const s = layer as unknown as { activation: ActivationFn };
  if (!relu6Class) {
    const Base = s.activation.constructor as new () => ActivationFn;
    relu6Class = class Relu6 extends Base {
      static className = 'relu6';
      override apply(x: tf.Tensor): tf.Tensor {
        return tf.relu6(x);
      }
    };
  }
  s.activation = new relu6Class();
  return layer;
}

/**
 * Applies an activation as stock layers named `name` (the last layer carries the name).
 * `linear` adds nothing; `hswish` is x * hsigmoid(x) with layers `name_gate_pre`, `name_gate`, `name`.
 *
 * @example
 * y = applyActivation(y, 'hswish', 'b3_act');
 */
export function applyActivation(x: Sym, fn: ActivationName, name: string): Sym {
  switch (fn) {
    case 'linear':
      return x;
    case 'hsigmoid':
      return hardSigmoid(x, name);
    case 'hswish':
      return call(tfl.layers.multiply({ name }), [x, hardSigmoid(x, `${name}_gate`)]);
    case 'relu6':
      return call(relu6Layer(name), x);
    default:
      return call(tfl.layers.activation({ activation: fn, name }), x);
  }
}

type BatchNormLayer = ReturnType<typeof tfl.layers.batchNormalization>;
type BatchNormArgs = NonNullable<Parameters<typeof tfl.layers.batchNormalization>[0]>;
type Kwargs = Parameters<BatchNormLayer['call']>[1];
/** The stock layer's private state that the training path reads (names as in tfjs-layers 4.22). */
interface BatchNormState {
  axis: number;
  momentum: number;
  epsilon: number;
  gamma?: tfl.LayerVariable;
  beta?: tfl.LayerVariable;
  movingMean: tfl.LayerVariable;
  movingVariance: tfl.LayerVariable;
}

let trainingBatchNorm: (new (args: BatchNormArgs) => BatchNormLayer) | undefined;

/**
 * tfjs-layers' BatchNormalization whose training-mode call normalises with the engine's
 * `batchNormTrain`: one native kernel forward and one backward on the native backend, where the
 * stock `tf.moments` + `tf.batchNorm` and their gradients take ~25 full-size ops per layer
 * (exactly that composition on other backends). Inference, other axes and layers without
 * gamma/beta run the stock code. The moving averages update as the stock layer does them
 * (`moving -= (moving - batch) * (1 - momentum)`, with the biased batch variance: tfjs-layers
 * applies no n/(n-1) correction). It serializes as the stock `BatchNormalization` and is not
 * registered, so saved models load as stock layers anywhere.
 *
 * The base class comes from a probe instance: tfjs-layers exports the factory, not the class,
 * and a deep import would load a second copy of tfjs-layers (its ESM build beside the CJS one).
 */
function trainingBatchNormClass(): new (args: BatchNormArgs) => BatchNormLayer {
  if (trainingBatchNorm) return trainingBatchNorm;
  // an explicit name, so the probe takes no number from the layer-name counters
  const Base = tfl.layers.batchNormalization({ name: 'distillery_bn_probe' }).constructor as new (args: BatchNormArgs) => BatchNormLayer;
  class TrainingBatchNormalization extends Base {
    static className = 'BatchNormalization';

    override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const s = this as unknown as BatchNormState;
      const axis = x && s.axis < 0 ? s.axis + x.rank : s.axis;
      if (!kwargs['training'] || !x || x.rank < 2 || axis !== x.rank - 1 || !s.gamma || !s.beta) return super.call(inputs, kwargs);
      const gamma = s.gamma;
      const beta = s.beta;
      return tf.tidy(() => {
        const { y, mean, variance } = batchNormTrain(x, gamma.read() as tf.Tensor1D, beta.read() as tf.Tensor1D, s.epsilon);
        for (const [moving, batch] of [[s.movingMean, mean], [s.movingVariance, variance]] as const) {
          tf.tidy(() => {
            const orig = moving.read();
            moving.write(tf.sub(orig, tf.mul(tf.sub(orig, batch), 1 - s.momentum)));
          });
        }
        return y;
      });
    }
  }
  trainingBatchNorm = TrainingBatchNormalization;
  return trainingBatchNorm;
}

/**
 * A BatchNormalization layer over the channel (last) axis with tfjs defaults (momentum 0.99,
 * epsilon 1e-3); in training it runs the engine's one-kernel batch norm (see above), and it
 * saves as the stock layer.
 *
 * @example
 * y = applyBatchNorm(y, 'b3_bn');
 */
export function applyBatchNorm(x: Sym, name: string): Sym {
  return call(new (trainingBatchNormClass())({ axis: -1, name }), x);
}
