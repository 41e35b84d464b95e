import * as tfl from '@tensorflow/tfjs-layers';
import { costOfResolved, seUnits } from './cost.ts';
import { applyActivation, applyBatchNorm, call, Inits, isBuiltinActivation, type Sym } from './layers.ts';
import { resolveSpec, type ActivationName, type ModelSpec, type ResolvedBlockSpec, type ResolvedModelSpec } from './spec.ts';

/** Options of {@link buildModel}. */
export interface BuildOptions {
  /** The data's sample shape, used when `spec.input` is absent (must agree when both are set). */
  inputShape?: readonly number[];
  /** Class count: appends a linear dense head when the spec does not end with a dense block. */
  numClasses?: number;
  /** Seed of the weight initialisers (default 0): the same seed gives the same weights. */
  seed?: number;
}

/**
 * The model name used when the spec has none (and dropped again by `specFromLayers`).
 *
 * @example
 * buildModel(spec).name; // 'distillery_model' when spec.name is absent
 */
export const DEFAULT_MODEL_NAME = 'distillery_model';

/**
 * Key of distillery's entry in a model's user-defined metadata.
 *
 * @example
 * (model.getUserDefinedMetadata() as any)[METADATA_KEY].spec;
 */
export const METADATA_KEY = 'distillery';

/**
 * Builds a spec into a `tf.LayersModel` made only of stock tfjs-layers layers, so that a saved
 * model loads in stock TF.js anywhere. The output is logits. Layer names start with the block
 * index (`b3_dw`, `b3_bn`, ...); the resolved spec is stored in the user-defined metadata
 * under `distillery.spec` so that {@link specFromModel} gives it back, also after save/load.
 *
 * Shapes are checked from the spec first (see `modelCost` for the `MODEL_SHAPE` rules).
 *
 * @example
 * const model = buildModel({ blocks: [{ type: 'conv2d', filters: 8 }, { type: 'globalavgpool' }] },
 *   { inputShape: [28, 28, 1], numClasses: 10, seed: 1 });
 */
export function buildModel(spec: ModelSpec, opts: BuildOptions = {}): tfl.LayersModel {
  const ropts: { inputShape?: readonly number[]; numClasses?: number } = {};
  if (opts.inputShape !== undefined) ropts.inputShape = opts.inputShape;
  if (opts.numClasses !== undefined) ropts.numClasses = opts.numClasses;
  const resolved = resolveSpec(spec, ropts);
  return buildResolved(resolved, opts.seed ?? 0);
}

/**
 * {@link buildModel} of an already resolved spec.
 *
 * @example
 * buildResolved(specFromModel(model), 2); // same architecture, new weights
 */
export function buildResolved(spec: ResolvedModelSpec, seed = 0): tfl.LayersModel {
  costOfResolved(spec); // throws MODEL_SHAPE naming the block before TF.js sees a bad shape
  const inits = new Inits(seed);
  const input = tfl.input({ shape: spec.input, name: 'input' });
  let x: Sym = input;
  spec.blocks.forEach((b, i) => {
    x = buildBlock(x, b, `b${i}`, inits);
  });
  const model = tfl.model({ inputs: input, outputs: x, name: spec.name ?? DEFAULT_MODEL_NAME });
  model.setUserDefinedMetadata({ [METADATA_KEY]: { version: 1, spec } });
  return model;
}

function conv(x: Sym, p: string, filters: number, kernel: number, stride: number, padding: 'same' | 'valid', bias: boolean, activation: 'linear' | 'relu' | 'relu6' | 'sigmoid' | 'tanh' | 'swish', inits: Inits): Sym {
  return call(
    tfl.layers.conv2d({ name: p, filters, kernelSize: kernel, strides: stride, padding, useBias: bias, activation, kernelInitializer: inits.glorot() }),
    x,
  );
}

function depthwise(x: Sym, p: string, kernel: number, stride: number, padding: 'same' | 'valid', bias: boolean, inits: Inits): Sym {
  return call(
    tfl.layers.depthwiseConv2d({ name: p, kernelSize: kernel, strides: stride, padding, depthMultiplier: 1, useBias: bias, depthwiseInitializer: inits.glorot() }),
    x,
  );
}

/**
 * conv → [BN] → act. Without BN a stock activation goes inside the conv layer (tfjs-layers then
 * uses a fused conv+bias+act kernel where one exists); otherwise it is its own layer `p_act`.
 */
function convBnAct(x: Sym, p: string, role: string, b: { filters: number; kernel: number; stride: number; padding: 'same' | 'valid'; bias: boolean; batchNorm: boolean; activation: ActivationName }, inits: Inits, actName: string): Sym {
  const fuse = !b.batchNorm && isBuiltinActivation(b.activation) ? b.activation : 'linear';
  let y = conv(x, `${p}_${role}`, b.filters, b.kernel, b.stride, b.padding, b.bias, fuse, inits);
  if (b.batchNorm) y = applyBatchNorm(y, `${p}_${role === 'conv' ? 'bn' : `${role}_bn`}`);
  return fuse === 'linear' ? applyActivation(y, b.activation, actName) : y;
}

function buildBlock(x: Sym, b: ResolvedBlockSpec, p: string, inits: Inits): Sym {
  switch (b.type) {
    case 'conv2d':
      return convBnAct(x, p, 'conv', b, inits, `${p}_act`);
    case 'sepconv': {
      let y = depthwise(x, `${p}_dw`, b.kernel, b.stride, b.padding, b.bias, inits);
      if (b.batchNorm) y = applyBatchNorm(y, `${p}_dw_bn`);
      y = applyActivation(y, b.activation, `${p}_dw_act`);
      return convBnAct(y, p, 'pw', { ...b, kernel: 1, stride: 1, padding: 'same' }, inits, `${p}_act`);
    }
    case 'mbconv':
      return mbconv(x, b, p, inits);
    case 'batchnorm':
      return applyBatchNorm(x, `${p}_bn`);
    case 'activation':
      // an explicit linear block still gets a layer, so that the block can be read back
      return b.fn === 'linear' ? call(tfl.layers.activation({ activation: 'linear', name: `${p}_act` }), x) : applyActivation(x, b.fn, `${p}_act`);
    case 'maxpool':
      return call(tfl.layers.maxPooling2d({ name: `${p}_maxpool`, poolSize: b.size, strides: b.stride, padding: b.padding }), x);
    case 'avgpool':
      return call(tfl.layers.averagePooling2d({ name: `${p}_avgpool`, poolSize: b.size, strides: b.stride, padding: b.padding }), x);
    case 'globalavgpool':
      return call(tfl.layers.globalAveragePooling2d({ name: `${p}_globalavgpool` }), x);
    case 'flatten':
      return call(tfl.layers.flatten({ name: `${p}_flatten` }), x);
    case 'dropout':
      // No seed: tfjs-layers would redraw the same mask at every step from a fixed seed.
      return call(tfl.layers.dropout({ name: `${p}_dropout`, rate: b.rate }), x);
    case 'dense': {
      const fuse = isBuiltinActivation(b.activation) ? b.activation : 'linear';
      // maxNorm over axis 0: the incoming weights of each unit (kernel is [in, units])
      const constraint = b.maxNorm !== undefined ? { kernelConstraint: tfl.constraints.maxNorm({ maxValue: b.maxNorm, axis: 0 }) } : {};
      const y = call(tfl.layers.dense({ name: `${p}_dense`, units: b.units, useBias: b.bias, activation: fuse, kernelInitializer: inits.glorot(), ...constraint }), x);
      return fuse === 'linear' ? applyActivation(y, b.activation, `${p}_act`) : y;
    }
  }
}

/**
 * MobileNetV2 inverted residual: 1×1 expand + BN + act (skipped when expansion is 1), depthwise
 * k×k stride s + BN + act, optional squeeze-excite, 1×1 linear project + BN, residual add when
 * the stride is 1 and channels in == out.
 */
function mbconv(x: Sym, b: ResolvedBlockSpec & { type: 'mbconv' }, p: string, inits: Inits): Sym {
  const cin = x.shape[3] as number;
  const e = cin * b.expansion;
  let y = x;
  if (b.expansion > 1) {
    y = conv(y, `${p}_expand`, e, 1, 1, 'same', false, 'linear', inits);
    y = applyBatchNorm(y, `${p}_expand_bn`);
    y = applyActivation(y, b.activation, `${p}_expand_act`);
  }
  y = depthwise(y, `${p}_dw`, b.kernel, b.stride, 'same', false, inits);
  y = applyBatchNorm(y, `${p}_dw_bn`);
  y = applyActivation(y, b.activation, `${p}_dw_act`);
  const r = seUnits(e, b.se);
  if (r > 0) {
    let s = call(tfl.layers.globalAveragePooling2d({ name: `${p}_se_pool` }), y);
    s = call(tfl.layers.dense({ name: `${p}_se_reduce`, units: r, activation: 'relu', kernelInitializer: inits.glorot() }), s);
    s = call(tfl.layers.dense({ name: `${p}_se_expand`, units: e, activation: 'sigmoid', kernelInitializer: inits.glorot() }), s);
    s = call(tfl.layers.reshape({ name: `${p}_se_reshape`, targetShape: [1, 1, e] }), s);
    // Multiply broadcasts [N,1,1,C] over [N,H,W,C] (same rank, so tfjs-layers needs no reshape).
    y = call(tfl.layers.multiply({ name: `${p}_se` }), [y, s]);
  }
  y = conv(y, `${p}_project`, b.filters, 1, 1, 'same', false, 'linear', inits);
  y = applyBatchNorm(y, `${p}_project_bn`);
  if (b.stride === 1 && cin === b.filters) y = call(tfl.layers.add({ name: `${p}_add` }), [x, y]);
  return y;
}
