import * as tf from '@tensorflow/tfjs-core';
import { DistilleryError } from '../core/errors.ts';
import { Rng } from '../core/rng.ts';
import { batchNormTrain } from '../engine/index.ts';
import { blockGeometry, type BlockGeometry, type ElasticSpace, type SubnetArch } from './space.ts';

/** The epsilon of tfjs-layers' BatchNormalization (what an extracted subnet runs). */
export const BN_EPSILON = 1e-3;

/** Batch-norm statistics of one subnet, by BN layer name (`stem_bn`, `s0b1_dw_bn`, …). */
export type BnStats = Map<string, { mean: Float32Array; variance: Float32Array }>;

/**
 * How a forward pass treats batch norm: `train` normalises with the batch's statistics (and
 * is differentiable); `calibrate` does the same and hands each layer's batch mean and variance
 * to `record`; `infer` uses a subnet's recalibrated `stats`.
 */
export type BnMode = { kind: 'train' } | { kind: 'calibrate'; record: (name: string, mean: tf.Tensor1D, variance: tf.Tensor1D) => void } | { kind: 'infer'; stats: BnStats };

/** One shared weight: its name in checkpoints and the supernet folder, and its variable. */
export interface SharedWeight {
  name: string;
  variable: tf.Variable;
}

let instances = 0;

function glorot(rng: Rng, shape: number[], fanIn: number, fanOut: number): tf.Tensor {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = (2 * rng.next() - 1) * limit;
  return tf.tensor(v, shape);
}

function identity(n: number): tf.Tensor {
  return tf.eye(n);
}

/**
 * The weight-sharing supernet: the variables of its largest subnet, and a functional forward
 * pass for any subnet that slices them. A block's expand conv keeps its first `cin × e` output
 * channels, the depthwise conv and its BN the same channels, the project conv the same input
 * channels (the first channels are the shared ones, as in BigNAS); a smaller kernel is the
 * centre of the next larger one passed through a learned k²×k² transform shared by the
 * channels (OFA's elastic kernel, identity at the start). Every op is a stock TF.js op (slice,
 * conv2d, depthwiseConv2d, matMul) or the engine's `batchNormTrain`, so gradients flow to the
 * shared variables through `tf.variableGrads` on any backend.
 *
 * @example
 * const net = new Supernet(space, [28, 28, 1], 10, 1);
 * const logits = net.forward(x, largestArch(space), { kind: 'train' });
 */
export class Supernet {
  readonly weights: SharedWeight[] = [];
  readonly blocks: BlockGeometry[];
  private readonly byName = new Map<string, tf.Variable>();
  private readonly id = instances++;

  constructor(
    readonly space: ElasticSpace,
    readonly inputShape: readonly number[],
    readonly numClasses: number,
    seed: number,
  ) {
    if (inputShape.length !== 3) throw new DistilleryError('SUPERNET_INPUT', `supernet: needs image samples [H, W, C], the data gives [${inputShape.join(', ')}]`, 'use an image data set (mnist, idx or npy images)', 'data');
    const rng = new Rng(seed);
    const s = space.stem;
    const c0 = inputShape[2]!;
    this.add('stem_conv', glorot(rng, [s.kernel, s.kernel, c0, s.filters], s.kernel * s.kernel * c0, s.kernel * s.kernel * s.filters));
    this.addBn('stem_bn', s.filters);
    this.blocks = blockGeometry(space);
    for (const b of this.blocks) {
      const p = b.name;
      this.add(`${p}_expand`, glorot(rng, [1, 1, b.cin, b.maxHidden], b.cin, b.maxHidden));
      this.addBn(`${p}_expand_bn`, b.maxHidden);
      const k = b.maxKernel;
      this.add(`${p}_dw`, glorot(rng, [k, k, b.maxHidden, 1], k * k, k * k));
      for (const small of b.smallerKernels) this.add(`${p}_dw_t${small}`, identity(small * small));
      this.addBn(`${p}_dw_bn`, b.maxHidden);
      this.add(`${p}_project`, glorot(rng, [1, 1, b.maxHidden, b.filters], b.maxHidden, b.filters));
      this.addBn(`${p}_project_bn`, b.filters);
    }
    const last = space.stages.at(-1)!.filters;
    this.add('head_kernel', glorot(rng, [last, numClasses], last, numClasses));
    this.add('head_bias', tf.zeros([numClasses]));
  }

  private add(name: string, init: tf.Tensor): void {
    const v = tf.variable(init, true, `supernet${this.id}/${name}`);
    init.dispose();
    this.weights.push({ name, variable: v });
    this.byName.set(name, v);
  }

  private addBn(name: string, c: number): void {
    this.add(`${name}_gamma`, tf.ones([c]));
    this.add(`${name}_beta`, tf.zeros([c]));
  }

  /** The variable of a shared weight. */
  get(name: string): tf.Variable {
    const v = this.byName.get(name);
    if (!v) throw new Error(`supernet: no weight ${name}`);
    return v;
  }

  /** The variables, in {@link weights} order (what the optimizer updates). */
  get variables(): tf.Variable[] {
    return this.weights.map((w) => w.variable);
  }

  /**
   * The depthwise kernel of block `b` at size `k` over its first `hidden` channels: the centre
   * of each larger size, transformed, down to `k` ([k, k, hidden, 1]).
   */
  depthwiseKernel(b: BlockGeometry, k: number, hidden: number): tf.Tensor4D {
    return tf.tidy(() => {
      let w = tf.slice(this.get(`${b.name}_dw`), [0, 0, 0, 0], [b.maxKernel, b.maxKernel, hidden, 1]) as tf.Tensor4D;
      for (const size of b.smallerKernels) {
        if (size < k) break;
        const off = (w.shape[0] - size) / 2;
        const crop = tf.slice(w, [off, off, 0, 0], [size, size, hidden, 1]);
        // [k², hidden] rows are kernel positions: the transform mixes positions, per channel alike
        const flat = tf.reshape(crop, [size * size, hidden]);
        const t = this.get(`${b.name}_dw_t${size}`);
        w = tf.reshape(tf.matMul(t, flat, true, false), [size, size, hidden, 1]) as tf.Tensor4D;
      }
      return w;
    });
  }

  private act(x: tf.Tensor): tf.Tensor {
    switch (this.space.activation) {
      case 'relu':
        return tf.relu(x);
      case 'relu6':
        return tf.relu6(x);
      default:
        return tf.mul(x, tf.div(tf.relu6(tf.add(x, 3)), 6));
    }
  }

  private bn(x: tf.Tensor4D, name: string, c: number, mode: BnMode): tf.Tensor4D {
    const gamma = tf.slice(this.get(`${name}_gamma`), [0], [c]) as tf.Tensor1D;
    const beta = tf.slice(this.get(`${name}_beta`), [0], [c]) as tf.Tensor1D;
    if (mode.kind === 'infer') {
      const s = mode.stats.get(name);
      if (!s || s.mean.length !== c) throw new DistilleryError('SUPERNET_BN_STATS', `supernet: no recalibrated statistics of ${name} for this subnet`, 'recalibrate the subnet (recalibrate()) before scoring it');
      return tf.batchNorm(x, tf.tensor1d(s.mean), tf.tensor1d(s.variance), beta, gamma, BN_EPSILON);
    }
    const { y, mean, variance } = batchNormTrain(x, gamma, beta, BN_EPSILON);
    if (mode.kind === 'calibrate') mode.record(name, mean, variance);
    return y as tf.Tensor4D;
  }

  /**
   * Logits of subnet `arch` on images `x` [N, H, W, C]. Call inside `tf.tidy` (or a gradient
   * function): the intermediate tensors are not disposed here.
   */
  forward(x: tf.Tensor4D, arch: SubnetArch, mode: BnMode): tf.Tensor2D {
    const s = this.space.stem;
    let y = tf.conv2d(x, this.get('stem_conv') as tf.Tensor4D, s.stride, 'same');
    y = this.act(this.bn(y, 'stem_bn', s.filters, mode)) as tf.Tensor4D;
    for (const b of this.blocks) {
      if (b.index >= arch.depth[b.stage]!) continue;
      const hidden = b.cin * arch.expansion[b.stage]![b.index]!;
      const k = arch.kernel[b.stage]![b.index]!;
      const expand = tf.slice(this.get(`${b.name}_expand`), [0, 0, 0, 0], [1, 1, b.cin, hidden]) as tf.Tensor4D;
      let h = tf.conv2d(y, expand, 1, 'same');
      h = this.act(this.bn(h, `${b.name}_expand_bn`, hidden, mode)) as tf.Tensor4D;
      h = tf.depthwiseConv2d(h, this.depthwiseKernel(b, k, hidden), b.stride, 'same');
      h = this.act(this.bn(h, `${b.name}_dw_bn`, hidden, mode)) as tf.Tensor4D;
      const project = tf.slice(this.get(`${b.name}_project`), [0, 0, 0, 0], [1, 1, hidden, b.filters]) as tf.Tensor4D;
      h = this.bn(tf.conv2d(h, project, 1, 'same'), `${b.name}_project_bn`, b.filters, mode);
      y = b.stride === 1 && b.cin === b.filters ? tf.add(y, h) : h;
    }
    const pooled = tf.mean(y, [1, 2]) as tf.Tensor2D;
    return tf.add(tf.matMul(pooled, this.get('head_kernel') as tf.Tensor2D), this.get('head_bias')) as tf.Tensor2D;
  }

  /** The weights' current values, in {@link weights} order. */
  read(): Float32Array[] {
    return this.weights.map((w) => w.variable.dataSync() as Float32Array).map((a) => Float32Array.from(a));
  }

  /** Sets every weight (in {@link weights} order); throws `SUPERNET_WEIGHTS` on a size mismatch. */
  write(values: readonly Float32Array[], where = 'supernet'): void {
    if (values.length !== this.weights.length) throw new DistilleryError('SUPERNET_WEIGHTS', `${where}: ${values.length} weights, the supernet has ${this.weights.length}`, 'use the folder `supernet train` wrote for this space');
    this.weights.forEach((w, i) => {
      if (values[i]!.length !== w.variable.size) throw new DistilleryError('SUPERNET_WEIGHTS', `${where}: weight ${w.name} has ${values[i]!.length} values, expected ${w.variable.size}`, 'use the folder `supernet train` wrote for this space');
      tf.tidy(() => w.variable.assign(tf.tensor(values[i]!, w.variable.shape)));
    });
  }

  dispose(): void {
    for (const w of this.weights) w.variable.dispose();
  }
}
