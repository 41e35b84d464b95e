/**
 * The TF.js layers of distillery's text blocks that tfjs-layers 4.22 lacks: learned or
 * sinusoidal positions, masked pooling over time and a transformer encoder layer. Each is
 * registered with `tf.serialization.registerClass` when this module is imported.
 *
 * This file imports nothing but `@tensorflow/tfjs-core` and `@tensorflow/tfjs-layers`, so that a
 * stock TF.js user loads an exported text model with one extra import:
 *
 * @example
 * import * as tf from '@tensorflow/tfjs';
 * import 'distillery/text-layers'; // registers DistilleryPositions, DistilleryMaskedPool1D, DistilleryTransformerEncoder
 * const model = await tf.loadLayersModel('file://out/model/model.json');
 * model.predict(tf.tensor2d([[12, 7, 0, 0]], [1, 4], 'int32'));
 *
 * The padding mask is `ids != 0` (id 0 is padding), computed inside the layers from the model's
 * input, so the model keeps one input. Masked layers take `[x, ids]`.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

type Kwargs = Record<string, unknown>;
type LayerArgs = NonNullable<ConstructorParameters<typeof tfl.layers.Layer>[0]>;
type Shape = (number | null)[];

const Layer = tfl.layers.Layer;

function first(x: tf.Tensor | tf.Tensor[]): tf.Tensor {
  return Array.isArray(x) ? x[0]! : x;
}

/** 1 where the id is a token, 0 where it is padding (id 0): float32 [N, L]. */
export function tokenMask(ids: tf.Tensor): tf.Tensor2D {
  return tf.cast(tf.notEqual(ids, 0), 'float32') as tf.Tensor2D;
}

/**
 * Sinusoidal positions of Vaswani et al. 2017: row p, column 2i is sin(p / 10000^(2i/d)),
 * column 2i+1 cos of the same angle.
 *
 * @example
 * sinusoid(4, 8)[8]; // position 1, column 0: sin(1)
 */
export function sinusoid(length: number, dim: number): Float32Array {
  const out = new Float32Array(length * dim);
  for (let p = 0; p < length; p++) {
    for (let j = 0; j < dim; j++) {
      const angle = p / Math.pow(10000, (2 * Math.floor(j / 2)) / dim);
      out[p * dim + j] = j % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
    }
  }
  return out;
}

/** Config of {@link DistilleryPositions}. */
export interface PositionsConfig extends LayerArgs {
  mode: 'learned' | 'sinusoidal';
  length: number;
  dim: number;
  /** Seed of the learned positions' initialiser (not saved: it only matters before training). */
  seed?: number;
}

/** Adds position vectors to a sequence [N, L, D]: learned ([L, D] weights `positions`) or fixed sinusoids. */
export class DistilleryPositions extends Layer {
  static className = 'DistilleryPositions';
  readonly mode: 'learned' | 'sinusoidal';
  readonly length: number;
  readonly dim: number;
  private readonly seed: number | undefined;
  private table?: tfl.LayerVariable;
  private fixed?: tf.Tensor2D;

  constructor(args: PositionsConfig) {
    super(args);
    this.mode = args.mode;
    this.length = args.length;
    this.dim = args.dim;
    this.seed = args.seed;
  }

  override build(): void {
    // BERT's initialiser for position embeddings: N(0, 0.02)
    if (this.mode === 'learned') this.table = this.addWeight('positions', [this.length, this.dim], 'float32', tfl.initializers.randomNormal({ stddev: 0.02, ...(this.seed === undefined ? {} : { seed: this.seed }) }));
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = first(inputs);
      if (this.table) return tf.add(x, this.table.read());
      this.fixed ??= tf.keep(tf.tensor2d(sinusoid(this.length, this.dim), [this.length, this.dim]));
      return tf.add(x, this.fixed);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), mode: this.mode, length: this.length, dim: this.dim };
  }
}

/** Config of {@link DistilleryMaskedPool1D}. */
export interface MaskedPoolConfig extends LayerArgs {
  mode: 'avg' | 'max';
}

/**
 * Pools a sequence [N, L, D] over time, skipping padding: inputs `[x, ids]`. `avg` is the mean
 * over tokens; `max` the maximum over tokens. A text of padding only gives zeros.
 */
export class DistilleryMaskedPool1D extends Layer {
  static className = 'DistilleryMaskedPool1D';
  readonly mode: 'avg' | 'max';

  constructor(args: MaskedPoolConfig) {
    super(args);
    this.mode = args.mode;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    return [s[0]!, s[2]!];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [x, ids] = inputs as tf.Tensor[];
      const m = tokenMask(ids!);
      const m3 = tf.expandDims(m, 2);
      const count = tf.sum(m, 1, true); // [N, 1]
      if (this.mode === 'avg') return tf.div(tf.sum(tf.mul(x!, m3), 1), tf.maximum(count, 1));
      // padding positions pushed 1e9 below anything real; texts of padding only give 0
      const masked = tf.add(x!, tf.mul(tf.sub(m3, 1), 1e9));
      return tf.mul(tf.max(masked, 1), tf.minimum(count, 1));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), mode: this.mode };
  }
}

/** Config of {@link DistilleryTransformerEncoder}. */
export interface TransformerConfig extends LayerArgs {
  heads: number;
  ffDim: number;
  norm: 'pre' | 'post';
  activation: 'relu' | 'gelu';
  dropout: number;
  epsilon?: number;
  seed?: number;
}

const weightNames = ['q_kernel', 'q_bias', 'k_kernel', 'k_bias', 'v_kernel', 'v_bias', 'o_kernel', 'o_bias', 'ln1_gamma', 'ln1_beta', 'ff1_kernel', 'ff1_bias', 'ff2_kernel', 'ff2_bias', 'ln2_gamma', 'ln2_beta'] as const;
/** Weight names of {@link DistilleryTransformerEncoder}, in `getWeights()` order. */
export type TransformerWeight = (typeof weightNames)[number];

/** GELU, tanh form (Hendrycks & Gimpel 2016; BERT's), which ONNX opset 17 writes with Tanh. */
export function gelu(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    // x·x·x rather than pow(x, 3): two multiplies beat the general power kernel
    const inner = tf.mul(tf.add(x, tf.mul(tf.mul(tf.mul(x, x), x), 0.044715)), Math.sqrt(2 / Math.PI));
    return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1));
  });
}

/**
 * One transformer encoder layer on [N, L, D] with inputs `[x, ids]`: multi-head self-attention
 * (keys at padding positions get -1e9 before the softmax) and a two-layer feed-forward, each in
 * a residual with layer norm, before (`pre`) or after (`post`, the original and BERT's) the sublayer.
 */
export class DistilleryTransformerEncoder extends Layer {
  static className = 'DistilleryTransformerEncoder';
  readonly heads: number;
  readonly ffDim: number;
  readonly norm: 'pre' | 'post';
  readonly activationFn: 'relu' | 'gelu';
  readonly rate: number;
  readonly epsilon: number;
  private readonly seed: number | undefined;
  private w = new Map<TransformerWeight, tfl.LayerVariable>();

  constructor(args: TransformerConfig) {
    super(args);
    this.heads = args.heads;
    this.ffDim = args.ffDim;
    this.norm = args.norm;
    this.activationFn = args.activation;
    this.rate = args.dropout;
    this.epsilon = args.epsilon ?? 1e-5;
    this.seed = args.seed;
  }

  override build(inputShape: Shape | Shape[]): void {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const d = s[2]!;
    if (d % this.heads !== 0) throw new Error(`${this.name}: width ${d} is not a multiple of ${this.heads} heads`);
    let n = 0;
    const glorot = (): ReturnType<typeof tfl.initializers.glorotUniform> => tfl.initializers.glorotUniform(this.seed === undefined ? {} : { seed: this.seed + ++n });
    const shapes: Record<TransformerWeight, number[]> = {
      q_kernel: [d, d], q_bias: [d], k_kernel: [d, d], k_bias: [d], v_kernel: [d, d], v_bias: [d], o_kernel: [d, d], o_bias: [d],
      ln1_gamma: [d], ln1_beta: [d], ff1_kernel: [d, this.ffDim], ff1_bias: [this.ffDim], ff2_kernel: [this.ffDim, d], ff2_bias: [d], ln2_gamma: [d], ln2_beta: [d],
    };
    for (const name of weightNames) {
      const init = name.endsWith('kernel') ? glorot() : name.endsWith('gamma') ? tfl.initializers.ones() : tfl.initializers.zeros();
      this.w.set(name, this.addWeight(name, shapes[name], 'float32', init));
    }
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
  }

  private v(name: TransformerWeight): tf.Tensor {
    return this.w.get(name)!.read();
  }

  /** x [N·L, D] @ kernel + bias. */
  private linear(x: tf.Tensor2D, name: 'q' | 'k' | 'v' | 'o' | 'ff1' | 'ff2'): tf.Tensor2D {
    return tf.add(tf.matMul(x, this.v(`${name}_kernel`) as tf.Tensor2D), this.v(`${name}_bias`)) as tf.Tensor2D;
  }

  private layerNorm(x: tf.Tensor2D, which: 'ln1' | 'ln2'): tf.Tensor2D {
    const { mean, variance } = tf.moments(x, -1, true);
    const y = tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, this.epsilon)));
    return tf.add(tf.mul(y, this.v(`${which}_gamma`)), this.v(`${which}_beta`)) as tf.Tensor2D;
  }

  private drop(x: tf.Tensor2D, training: boolean): tf.Tensor2D {
    return training && this.rate > 0 ? (tf.dropout(x, this.rate) as tf.Tensor2D) : x;
  }

  /** One head's attention probabilities [N, L, L] from its queries and keys [N, L, hd]. */
  private headProbs(q: tf.Tensor3D, k: tf.Tensor3D, bias: tf.Tensor, hd: number): tf.Tensor3D {
    return tf.softmax(tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(hd)), bias)) as tf.Tensor3D;
  }

  /**
   * The attention probabilities of every head, [N, heads, L, L] (row i: how query token i spreads
   * over the keys; padding keys get 0), recomputed from the layer's input `x` [N, L, D] and the
   * model's ids with the layer's current weights, as `call` computes them. TinyBERT's attention
   * loss reads these; the weights are read as variables, so a loss on them trains q and k.
   *
   * @example
   * const a = layer.attentionProbs(input, ids); // [8, 2, 64, 64]
   */
  attentionProbs(x3: tf.Tensor, ids: tf.Tensor): tf.Tensor4D {
    return tf.tidy(() => {
      const [n, l, d] = x3.shape as [number, number, number];
      const hd = d / this.heads;
      const bias = tf.reshape(tf.mul(tf.sub(tokenMask(ids), 1), 1e9), [n, 1, l]);
      const x = tf.reshape(x3, [n * l, d]) as tf.Tensor2D;
      const h = this.norm === 'pre' ? this.layerNorm(x, 'ln1') : x;
      const project = (w: 'q' | 'k', i: number): tf.Tensor3D => {
        const kernel = tf.slice(this.v(`${w}_kernel`) as tf.Tensor2D, [0, i * hd], [d, hd]);
        const b = tf.slice(this.v(`${w}_bias`) as tf.Tensor1D, [i * hd], [hd]);
        return tf.reshape(tf.add(tf.matMul(h, kernel), b), [n, l, hd]);
      };
      const heads: tf.Tensor3D[] = [];
      for (let i = 0; i < this.heads; i++) heads.push(this.headProbs(project('q', i), project('k', i), bias, hd));
      return tf.stack(heads, 1) as tf.Tensor4D;
    });
  }

  /**
   * Self-attention of h [N·L, D]; `bias` [N, 1, L] is 0 at tokens and -1e9 at padding. Each
   * head projects with its own column slice of the q/k/v kernels and adds its share of the
   * output projection (a row slice of `o_kernel`): the same values as the usual reshape to
   * [N, H, L, hd] and transposes, but only the small weight matrices are sliced. Transposing
   * or slicing the activations took 40-60% of a training step on the native engine.
   */
  private attention(h: tf.Tensor2D, bias: tf.Tensor, n: number, l: number, d: number): tf.Tensor2D {
    const hd = d / this.heads;
    const project = (w: 'q' | 'k' | 'v', i: number): tf.Tensor3D => {
      const kernel = tf.slice(this.v(`${w}_kernel`) as tf.Tensor2D, [0, i * hd], [d, hd]);
      const b = tf.slice(this.v(`${w}_bias`) as tf.Tensor1D, [i * hd], [hd]);
      return tf.reshape(tf.add(tf.matMul(h, kernel), b), [n, l, hd]);
    };
    let out = this.v('o_bias') as tf.Tensor;
    for (let i = 0; i < this.heads; i++) {
      const ctx = tf.reshape(tf.matMul(this.headProbs(project('q', i), project('k', i), bias, hd), project('v', i)), [n * l, hd]);
      out = tf.add(out, tf.matMul(ctx, tf.slice(this.v('o_kernel') as tf.Tensor2D, [i * hd, 0], [hd, d])));
    }
    return out as tf.Tensor2D;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const [x3, ids] = inputs as tf.Tensor[];
      const [n, l, d] = x3!.shape as [number, number, number];
      const training = kwargs['training'] === true;
      const bias = tf.reshape(tf.mul(tf.sub(tokenMask(ids!), 1), 1e9), [n, 1, l]);
      const ff = (h: tf.Tensor2D): tf.Tensor2D => {
        const a = this.linear(h, 'ff1');
        return this.linear((this.activationFn === 'gelu' ? gelu(a) : tf.relu(a)) as tf.Tensor2D, 'ff2');
      };
      let x = tf.reshape(x3!, [n * l, d]) as tf.Tensor2D;
      if (this.norm === 'pre') {
        x = tf.add(x, this.drop(this.attention(this.layerNorm(x, 'ln1'), bias, n, l, d), training));
        x = tf.add(x, this.drop(ff(this.layerNorm(x, 'ln2')), training));
      } else {
        x = this.layerNorm(tf.add(x, this.drop(this.attention(x, bias, n, l, d), training)), 'ln1');
        x = this.layerNorm(tf.add(x, this.drop(ff(x), training)), 'ln2');
      }
      return tf.reshape(x, [n, l, d]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    const c: tf.serialization.ConfigDict = { ...super.getConfig(), heads: this.heads, ffDim: this.ffDim, norm: this.norm, activation: this.activationFn, dropout: this.rate, epsilon: this.epsilon };
    return c;
  }
}

for (const cls of [DistilleryPositions, DistilleryMaskedPool1D, DistilleryTransformerEncoder]) tf.serialization.registerClass(cls as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);
