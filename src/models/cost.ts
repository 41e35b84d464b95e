import { DistilleryError } from '../core/errors.ts';
import { resolveSpec, type ModelSpec, type ResolvedBlockSpec, type ResolvedModelSpec } from './spec.ts';

/** Cost of one block, per sample. */
export interface BlockCost {
  /** Config path of the block, e.g. `model.blocks[3]`. */
  path: string;
  /** Prefix of the block's layer names in the built model, e.g. `b3`. */
  name: string;
  type: ResolvedBlockSpec['type'];
  /** Output shape of one sample, e.g. [14, 14, 32]. */
  outputShape: number[];
  /** All stored values, as `tf.LayersModel.countParams()` counts them (BN's moving statistics included). */
  params: number;
  /** Multiply-accumulates for one sample. */
  macs: number;
  /** Of `params`, the conv/dense kernel weights (the values int8 quantization stores in one byte). */
  kernelParams: number;
}

/** Costs of a whole model, computed from its spec alone. */
export interface ModelCost {
  inputShape: number[];
  outputShape: number[];
  params: number;
  macs: number;
  /**
   * Weight storage. fp32: 4 bytes a value; fp16: 2; int8: 1 byte per conv/dense kernel weight and
   * 4 bytes per other value (biases stay int32 as in TFLite/ONNX quantizers; BN values are kept
   * at 4 bytes, an upper bound since an exporter folds them into the conv before).
   */
  bytes: { fp32: number; fp16: number; int8: number };
  layers: BlockCost[];
}

/**
 * Output shape, params and MACs of every block, from the spec alone (no TF.js).
 *
 * MACs counted: conv2d, depthwise and pointwise convs, dense layers, and the two dense layers of
 * squeeze-excite. Not counted (not multiply-accumulates or negligible): BN, activations, bias
 * adds, pooling, the SE channel scaling and the residual add.
 *
 * Throws `DistilleryError('MODEL_SHAPE')` naming the block (e.g. `model.blocks[3]`) when a block
 * cannot take its input: a dense layer after a 3-D output (no implicit flatten: add
 * `{ type: flatten }` or `{ type: globalavgpool }`), a conv after a flatten, a `valid` kernel or
 * pool window bigger than its input. With `same` padding a kernel bigger than the input is legal
 * (TF, Keras and ONNX define it), so it is allowed.
 *
 * @example
 * modelCost({ blocks: [{ type: 'flatten' }, { type: 'dense', units: 10 }] }, [28, 28, 1]).macs; // 7840
 */
export function modelCost(spec: ModelSpec, inputShape?: readonly number[], numClasses?: number, where = 'model'): ModelCost {
  const opts: { inputShape?: readonly number[]; numClasses?: number } = {};
  if (inputShape !== undefined) opts.inputShape = inputShape;
  if (numClasses !== undefined) opts.numClasses = numClasses;
  return costOfResolved(resolveSpec(spec, opts, where), where);
}

/**
 * {@link modelCost} of an already resolved spec.
 *
 * @example
 * costOfResolved(resolveSpec(spec, { inputShape: [28, 28, 1], numClasses: 10 })).params;
 */
export function costOfResolved(spec: ResolvedModelSpec, where = 'model'): ModelCost {
  let shape = spec.input;
  const layers: BlockCost[] = [];
  spec.blocks.forEach((b, i) => {
    const path = `${where}.blocks[${i}]`;
    const c = blockCost(b, shape, path);
    layers.push({ path, name: `b${i}`, type: b.type, outputShape: c.out, params: c.params, macs: c.macs, kernelParams: c.kernel });
    shape = c.out;
  });
  const params = sum(layers.map((l) => l.params));
  const kernel = sum(layers.map((l) => l.kernelParams));
  return {
    inputShape: spec.input,
    outputShape: shape,
    params,
    macs: sum(layers.map((l) => l.macs)),
    bytes: { fp32: 4 * params, fp16: 2 * params, int8: kernel + 4 * (params - kernel) },
    layers,
  };
}

interface Step {
  out: number[];
  params: number;
  macs: number;
  kernel: number;
}

function blockCost(b: ResolvedBlockSpec, s: number[], path: string): Step {
  switch (b.type) {
    case 'conv2d': {
      const [h, w, c] = need3(s, path, b.type);
      const [ho, wo] = window(h, w, b.kernel, b.stride, b.padding, path);
      const kernel = b.kernel * b.kernel * c * b.filters;
      const params = kernel + (b.bias ? b.filters : 0) + (b.batchNorm ? 4 * b.filters : 0);
      return { out: [ho, wo, b.filters], params, macs: ho * wo * kernel, kernel };
    }
    case 'sepconv': {
      const [h, w, c] = need3(s, path, b.type);
      const [ho, wo] = window(h, w, b.kernel, b.stride, b.padding, path);
      const dw = b.kernel * b.kernel * c;
      const pw = c * b.filters;
      const extra = (b.bias ? c + b.filters : 0) + (b.batchNorm ? 4 * (c + b.filters) : 0);
      return { out: [ho, wo, b.filters], params: dw + pw + extra, macs: ho * wo * (dw + pw), kernel: dw + pw };
    }
    case 'mbconv': {
      const [h, w, c] = need3(s, path, b.type);
      const e = c * b.expansion;
      const [ho, wo] = window(h, w, b.kernel, b.stride, 'same', path);
      const expand = b.expansion > 1 ? c * e : 0;
      const dw = b.kernel * b.kernel * e;
      const r = seUnits(e, b.se);
      const se = r > 0 ? 2 * e * r : 0;
      const project = e * b.filters;
      const bn = 4 * ((b.expansion > 1 ? e : 0) + e + b.filters);
      const seBias = r > 0 ? r + e : 0;
      return {
        out: [ho, wo, b.filters],
        params: expand + dw + se + project + bn + seBias,
        macs: h * w * expand + ho * wo * (dw + project) + se,
        kernel: expand + dw + se + project,
      };
    }
    case 'batchnorm':
      return { out: s, params: 4 * s[s.length - 1]!, macs: 0, kernel: 0 };
    case 'activation':
    case 'dropout':
      return { out: s, params: 0, macs: 0, kernel: 0 };
    case 'maxpool':
    case 'avgpool': {
      const [h, w, c] = need3(s, path, b.type);
      const [ho, wo] = window(h, w, b.size, b.stride, b.padding, path);
      return { out: [ho, wo, c], params: 0, macs: 0, kernel: 0 };
    }
    case 'globalavgpool': {
      const [, , c] = need3(s, path, b.type);
      return { out: [c], params: 0, macs: 0, kernel: 0 };
    }
    case 'flatten':
      return { out: [s.reduce((a, d) => a * d, 1)], params: 0, macs: 0, kernel: 0 };
    case 'dense': {
      if (s.length !== 1) {
        throw new DistilleryError(
          'MODEL_SHAPE',
          `${path} (dense) needs a flat input but gets [${s.join(', ')}]`,
          `insert { type: flatten } or { type: globalavgpool } before ${path}`,
          path,
        );
      }
      const kernel = s[0]! * b.units;
      return { out: [b.units], params: kernel + (b.bias ? b.units : 0), macs: kernel, kernel };
    }
  }
}

/**
 * Units of the squeeze-excite bottleneck: `se` is a fraction of the expanded channels
 * (MobileNetV3's convention), rounded, at least 1; 0 when `se` is 0.
 *
 * @example
 * seUnits(96, 0.25); // 24
 */
export function seUnits(expandedChannels: number, se: number): number {
  return se > 0 ? Math.max(1, Math.round(expandedChannels * se)) : 0;
}

function need3(s: number[], path: string, type: string): [number, number, number] {
  if (s.length !== 3) {
    throw new DistilleryError(
      'MODEL_SHAPE',
      `${path} (${type}) needs an [H, W, C] input but gets [${s.join(', ')}]`,
      s.length === 1 ? `move ${path} before the flatten/globalavgpool/dense blocks, or give the model an image-shaped input` : 'give the model an [H, W, C] input',
      path,
    );
  }
  return [s[0]!, s[1]!, s[2]!];
}

/** Output size of a k×k window with stride s, as TF.js computes it. */
function window(h: number, w: number, k: number, stride: number, padding: 'same' | 'valid', path: string): [number, number] {
  if (padding === 'same') return [Math.ceil(h / stride), Math.ceil(w / stride)];
  if (k > h || k > w) {
    throw new DistilleryError(
      'MODEL_SHAPE',
      `${path}: window ${k}x${k} is bigger than its ${h}x${w} input (padding valid)`,
      `use a window of at most ${Math.min(h, w)}, padding same, or fewer downsampling blocks before ${path}`,
      path,
    );
  }
  return [Math.floor((h - k) / stride) + 1, Math.floor((w - k) / stride) + 1];
}

function sum(a: number[]): number {
  return a.reduce((x, y) => x + y, 0);
}
