import { blocks } from './blocks/all.ts';
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
  const first = spec.blocks[0];
  const ctx = first && blocks.get(first.type).takesTokens ? { tokenLength: spec.input[0]! } : {};
  spec.blocks.forEach((b, i) => {
    const path = `${where}.blocks[${i}]`;
    const c = blocks.get(b.type, path).cost(b as never, shape, path, ctx);
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

/**
 * Units of the squeeze-excite bottleneck (see ./blocks/mbconv.ts).
 *
 * @example
 * seUnits(96, 0.25); // 24
 */
export { seUnits } from './blocks/mbconv.ts';

function sum(a: number[]): number {
  return a.reduce((x, y) => x + y, 0);
}
