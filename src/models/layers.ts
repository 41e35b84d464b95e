import * as tfl from '@tensorflow/tfjs-layers';
import type { ActivationName } from './spec.ts';

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
    return tfl.initializers.glorotUniform({ seed: this.seed * 7919 + ++this.n });
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
    default:
      return call(tfl.layers.activation({ activation: fn, name }), x);
  }
}

/**
 * A BatchNormalization layer over the channel (last) axis with tfjs defaults (momentum 0.99, epsilon 1e-3).
 *
 * @example
 * y = applyBatchNorm(y, 'b3_bn');
 */
export function applyBatchNorm(x: Sym, name: string): Sym {
  return call(tfl.layers.batchNormalization({ axis: -1, name }), x);
}
