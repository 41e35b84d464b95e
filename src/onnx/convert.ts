import type * as tfl from '@tensorflow/tfjs-layers';
import { DistilleryError } from '../core/errors.ts';
import './convert-text.ts';
import './convert-audio.ts';
import { attr, GraphBuilder, type IrGraph } from './ir.ts';
import { layerConverters, type ConvertContext, type OnnxT } from './layer-converters.ts';
import { depthwiseToOihw, hwioToOihw, pair, permuteFlattenRows, tfPads } from './weights.ts';

type Layer = tfl.LayersModel['layers'][number];
type Cfg = Record<string, unknown>;
type Sym = { name: string; shape: (number | null)[] };

type T = OnnxT;

/** The format name used in messages. */
const FORMAT = 'ONNX';

function unsupported(layer: Layer, why: string): DistilleryError {
  return new DistilleryError(
    'EXPORT_UNSUPPORTED',
    `layer '${layer.name}' (${layer.getClassName()}) cannot be exported to ${FORMAT}: ${why}`,
    'export models built from a distillery spec (every block type of src/models/blocks/), or remove the layer',
    layer.name,
  );
}

function perSample(s: Sym): number[] {
  return s.shape.slice(1).map((d) => d ?? -1);
}

function weightsOf(layer: Layer): Map<string, { data: Float32Array; shape: number[] }> {
  const out = new Map<string, { data: Float32Array; shape: number[] }>();
  const values = layer.getWeights();
  layer.weights.forEach((w, i) => {
    // 'b3_conv/kernel' -> 'kernel'; originalName is stable across save/load, name may get a suffix
    const key = (w.originalName ?? w.name).split('/').pop()!.replace(/_\d+$/, '');
    out.set(key, { data: values[i]!.dataSync() as Float32Array, shape: values[i]!.shape });
  });
  return out;
}

/**
 * Converts a single-input, single-output `tf.LayersModel` into an ONNX graph, literally: one
 * or a few ONNX nodes per layer (BatchNormalization stays a node, hswish stays Mul/Add/Clip/Mul).
 * {@link optimizeGraph} then folds and fuses. Images enter as NCHW `[N, C, H, W]`, vectors as
 * `[N, D]`; the output is TF's (NHWC if 4-D). Throws `EXPORT_UNSUPPORTED` naming the layer.
 *
 * @example
 * const g = convertModel(model);
 * g.input.dims; // [1, 28, 28]
 */
export function convertModel(model: tfl.LayersModel): IrGraph {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new DistilleryError('EXPORT_UNSUPPORTED', `model '${model.name}' has ${model.inputs.length} inputs and ${model.outputs.length} outputs; ${FORMAT} export takes one of each`, 'export a model with a single input and a single output (every distillery spec builds one)');
  }
  const inShape = perSample(model.inputs[0]!);
  if (inShape.some((d) => d < 1) || inShape.length > 3) {
    throw new DistilleryError('EXPORT_UNSUPPORTED', `model '${model.name}' input shape [${inShape.join(', ')}] is not a fixed image or vector shape`, 'give the model a fixed [H, W, C] or [features] input');
  }
  const onnxIn = inShape.length === 3 ? [inShape[2]!, inShape[0]!, inShape[1]!] : inShape;
  // token ids (a text model's input) stay int32, as the model takes them
  const ids = model.inputs[0]!.dtype === 'int32';
  const g = new GraphBuilder(model.name, { name: 'input', dims: onnxIn, ...(ids ? { type: 'int32' as const } : {}) });
  const tensors = new Map<string, T>([[model.inputs[0]!.name, { name: 'input', shape: inShape }]]);
  const c = new Converter(g);
  for (const layer of model.layers) {
    if (layer.getClassName() === 'InputLayer') continue;
    if (layer.inboundNodes.length !== 1) throw unsupported(layer, 'the layer is shared (called more than once)');
    if (Array.isArray(layer.output)) throw unsupported(layer, 'the layer has several outputs');
    const ins = ([] as Sym[]).concat(layer.input as Sym | Sym[]).map((s) => {
      const t = tensors.get(s.name);
      if (!t) throw unsupported(layer, `its input ${s.name} comes from outside the model`);
      return t;
    });
    const out = c.layer(layer, ins, perSample(layer.output as Sym));
    tensors.set((layer.output as Sym).name, out);
  }
  const last = tensors.get(model.outputs[0]!.name)!;
  let name = c.plain(last);
  if (last.shape.length === 3) name = g.node('Transpose', [name], { perm: attr.ints([0, 2, 3, 1]) }, 'to_nhwc');
  return g.finish(name, last.shape);
}

class Converter implements ConvertContext {
  private readonly plainOf = new Map<string, string>();
  private readonly masks = new Map<string, string>();
  constructor(readonly g: GraphBuilder) {}

  unsupported(layer: Layer, why: string): DistilleryError {
    return unsupported(layer, why);
  }

  weights(layer: Layer): Map<string, { data: Float32Array; shape: number[] }> {
    return weightsOf(layer);
  }

  tokenMask(ids: T): string {
    let m = this.masks.get(ids.name);
    if (!m) {
      const g = this.g;
      const zero = g.init('ids_pad', 'int32', [], Int32Array.of(0));
      const isToken = g.node('Not', [g.node('Equal', [ids.name, zero], {}, 'ids_is_pad')], {}, 'ids_is_token');
      m = g.node('Cast', [isToken], { to: attr.i(1) }, 'token_mask'); // 1 = FLOAT
      this.masks.set(ids.name, m);
    }
    return m;
  }

  /** The tensor's values in TF's order (undoes a pending NCHW flatten with a Transpose). */
  plain(t: T): string {
    if (!t.flat) return t.name;
    const cached = this.plainOf.get(t.name);
    if (cached) return cached;
    const nhwc = this.g.node('Transpose', [t.flat.src], { perm: attr.ints([0, 2, 3, 1]) }, `${t.name}_nhwc`);
    const out = this.g.node('Flatten', [nhwc], { axis: attr.i(1) }, `${t.name}_tf`);
    this.plainOf.set(t.name, out);
    return out;
  }

  layer(layer: Layer, ins: T[], outShape: number[]): T {
    const cfg = layer.getConfig() as Cfg;
    const x = ins[0]!;
    const p = layer.name;
    const g = this.g;
    const same = (name: string): T => ({ name, shape: outShape });
    switch (layer.getClassName()) {
      case 'Dropout':
      case 'SpatialDropout1D':
      case 'GaussianNoise':
      case 'GaussianDropout':
      case 'AlphaDropout':
        return x; // identity at inference
      case 'Activation':
        return cfg['activation'] === 'linear' ? x : same(this.activation(layer, cfg['activation'] as string, this.plain(x), p));
      case 'ReLU': {
        const max = cfg['maxValue'] as number | null | undefined;
        const y = max === null || max === undefined ? g.node('Relu', [this.plain(x)], {}, p) : this.clip(this.plain(x), 0, max, p);
        return same(y);
      }
      case 'LeakyReLU':
        return same(g.node('LeakyRelu', [this.plain(x)], { alpha: attr.f(cfg['alpha'] as number) }, p));
      case 'Rescaling': {
        const scale = cfg['scale'] as number;
        const offset = cfg['offset'] as number;
        const m = g.node('Mul', [this.plain(x), g.floats(`${p}_scale`, [], [scale])], {}, `${p}_mul`);
        return same(g.node('Add', [m, g.floats(`${p}_offset`, [], [offset])], {}, p));
      }
      case 'Conv2D':
        return same(this.conv(layer, cfg, x, false));
      case 'DepthwiseConv2D':
        return same(this.conv(layer, cfg, x, true));
      case 'BatchNormalization':
        return same(this.batchNorm(layer, cfg, x));
      case 'Dense':
        return same(this.dense(layer, cfg, x));
      case 'Flatten':
        if (x.shape.length === 3) return this.flatten(x, p, outShape);
        // a sequence [N, L, C] is in TF's order already: a plain Flatten
        return x.shape.length === 2 ? same(g.node('Flatten', [x.name], { axis: attr.i(1) }, p)) : { ...x, shape: outShape };
      case 'MaxPooling2D':
      case 'AveragePooling2D':
        return same(this.pool(layer, cfg, x));
      case 'GlobalAveragePooling2D':
      case 'GlobalMaxPooling2D': {
        this.channelsLast(layer, cfg);
        if (x.shape.length !== 3) throw unsupported(layer, 'expects a 4-D input');
        const op = layer.getClassName() === 'GlobalAveragePooling2D' ? 'GlobalAveragePool' : 'GlobalMaxPool';
        const pooled = g.node(op, [x.name], {}, `${p}_pool`);
        return same(g.node('Flatten', [pooled], { axis: attr.i(1) }, p));
      }
      case 'Reshape':
        return this.reshape(layer, x, outShape);
      case 'Add':
      case 'Multiply':
        return same(this.merge(layer, ins));
      case 'Concatenate': {
        const axis = cfg['axis'] as number;
        const rank = x.shape.length + 1;
        if (axis !== -1 && axis !== rank - 1) throw unsupported(layer, `concatenation over axis ${axis} (only the channel axis is supported)`);
        return same(g.node('Concat', ins.map((t) => this.plain(t)), { axis: attr.i(1) }, p));
      }
      default: {
        if (layerConverters.has(layer.getClassName())) return layerConverters.get(layer.getClassName())(this, layer, ins, outShape);
        throw unsupported(layer, `no ${FORMAT} mapping for ${layer.getClassName()} layers`);
      }
    }
  }

  private channelsLast(layer: Layer, cfg: Cfg): void {
    if (cfg['dataFormat'] !== undefined && cfg['dataFormat'] !== 'channelsLast') throw unsupported(layer, `dataFormat ${String(cfg['dataFormat'])}`);
  }

  private clip(x: string, lo: number, hi: number, base: string): string {
    const g = this.g;
    return g.node('Clip', [x, g.floats(`${base}_min`, [], [lo]), g.floats(`${base}_max`, [], [hi])], {}, base);
  }

  /** A named tfjs activation applied to `x`; returns the output (x itself for linear). */
  activation(layer: Layer, fn: string, x: string, base: string): string {
    const g = this.g;
    switch (fn) {
      case 'linear':
        return x;
      case 'relu':
        return g.node('Relu', [x], {}, base);
      case 'relu6':
        return this.clip(x, 0, 6, base);
      case 'sigmoid':
        return g.node('Sigmoid', [x], {}, base);
      case 'tanh':
        return g.node('Tanh', [x], {}, base);
      case 'swish':
        return g.node('Mul', [x, g.node('Sigmoid', [x], {}, `${base}_sigmoid`)], {}, base);
      case 'hardSigmoid':
        // tfjs's hardSigmoid is clip(0.2x + 0.5, 0, 1), Keras's old definition
        return g.node('HardSigmoid', [x], { alpha: attr.f(0.2), beta: attr.f(0.5) }, base);
      case 'elu':
        return g.node('Elu', [x], { alpha: attr.f(1) }, base);
      case 'selu':
        return g.node('Selu', [x], {}, base);
      case 'softplus':
        return g.node('Softplus', [x], {}, base);
      case 'softsign':
        return g.node('Softsign', [x], {}, base);
      case 'softmax':
        return g.node('Softmax', [x], { axis: attr.i(1) }, base);
      default:
        throw unsupported(layer, `activation '${fn}' has no ${FORMAT} mapping here`);
    }
  }

  private conv(layer: Layer, cfg: Cfg, x: T, depthwise: boolean): string {
    this.channelsLast(layer, cfg);
    if (x.shape.length !== 3) throw unsupported(layer, 'expects a 4-D input');
    const padding = cfg['padding'] as string;
    if (padding !== 'same' && padding !== 'valid') throw unsupported(layer, `padding '${padding}'`);
    const g = this.g;
    const w = weightsOf(layer);
    const kernel = w.get(depthwise ? 'depthwise_kernel' : 'kernel')!;
    const [kh, kw, ci, co] = kernel.shape as [number, number, number, number];
    const strides = pair(cfg['strides']);
    const dilations = pair(cfg['dilationRate'] ?? 1);
    const oc = depthwise ? ci * co : co;
    const weight = depthwise ? depthwiseToOihw(kernel.data, kernel.shape) : hwioToOihw(kernel.data, kernel.shape);
    const inputs = [x.name, g.floats(`${layer.name}_w`, [oc, depthwise ? 1 : ci, kh, kw], weight)];
    const bias = w.get('bias');
    if (bias) inputs.push(g.floats(`${layer.name}_b`, [oc], bias.data));
    const y = g.node('Conv', inputs, {
      kernel_shape: attr.ints([kh, kw]),
      strides: attr.ints(strides),
      dilations: attr.ints(dilations),
      pads: attr.ints(tfPads(padding, x.shape.slice(0, 2), [kh, kw], strides, dilations)),
      group: attr.i(depthwise ? ci : 1),
    }, cfg['activation'] && cfg['activation'] !== 'linear' ? `${layer.name}_conv` : layer.name);
    return this.activation(layer, (cfg['activation'] as string | undefined) ?? 'linear', y, layer.name);
  }

  private dense(layer: Layer, cfg: Cfg, x: T): string {
    if (x.shape.length !== 1) throw unsupported(layer, `a Dense layer on a ${x.shape.length + 1}-D input (only [batch, features] is supported)`);
    const g = this.g;
    const w = weightsOf(layer);
    const kernel = w.get('kernel')!;
    const [din, units] = kernel.shape as [number, number];
    const k = x.flat ? permuteFlattenRows(kernel.data, x.flat.hwc, units) : kernel.data;
    const inputs = [x.name, g.floats(`${layer.name}_w`, [din, units], k)];
    const bias = w.get('bias');
    if (bias) inputs.push(g.floats(`${layer.name}_b`, [units], bias.data));
    const fn = (cfg['activation'] as string | undefined) ?? 'linear';
    const y = g.node('Gemm', inputs, {}, fn !== 'linear' ? `${layer.name}_gemm` : layer.name);
    return this.activation(layer, fn, y, layer.name);
  }

  private batchNorm(layer: Layer, cfg: Cfg, x: T): string {
    const axis = cfg['axis'] as number | number[];
    const a = Array.isArray(axis) ? axis : [axis];
    const rank = x.shape.length + 1;
    if (a.length !== 1 || (a[0] !== -1 && a[0] !== rank - 1)) throw unsupported(layer, `normalisation over axis ${String(axis)} (only the channel axis is supported)`);
    const g = this.g;
    const w = weightsOf(layer);
    const c = x.shape[x.shape.length - 1]!;
    const ones = new Float32Array(c).fill(1);
    const zeros = new Float32Array(c);
    const p = layer.name;
    return g.node('BatchNormalization', [
      this.plain(x),
      g.floats(`${p}_gamma`, [c], w.get('gamma')?.data ?? ones),
      g.floats(`${p}_beta`, [c], w.get('beta')?.data ?? zeros),
      g.floats(`${p}_mean`, [c], w.get('moving_mean')!.data),
      g.floats(`${p}_var`, [c], w.get('moving_variance')!.data),
    ], { epsilon: attr.f(cfg['epsilon'] as number) }, p);
  }

  private pool(layer: Layer, cfg: Cfg, x: T): string {
    this.channelsLast(layer, cfg);
    if (x.shape.length !== 3) throw unsupported(layer, 'expects a 4-D input');
    const size = pair(cfg['poolSize']);
    const strides = pair(cfg['strides'] ?? cfg['poolSize']);
    const padding = cfg['padding'] as string;
    const attrs = { kernel_shape: attr.ints(size), strides: attr.ints(strides), pads: attr.ints(tfPads(padding, x.shape.slice(0, 2), size, strides)) };
    if (layer.getClassName() === 'MaxPooling2D') return this.g.node('MaxPool', [x.name], attrs, layer.name);
    // TF averages over the pixels inside the image only
    return this.g.node('AveragePool', [x.name], { ...attrs, count_include_pad: attr.i(0) }, layer.name);
  }

  private merge(layer: Layer, ins: T[]): string {
    const op = layer.getClassName() === 'Add' ? 'Add' : 'Mul';
    const ranks = new Set(ins.map((t) => t.shape.length));
    if (ranks.size !== 1) throw unsupported(layer, 'inputs of different ranks');
    let y = this.plain(ins[0]!);
    for (let i = 1; i < ins.length; i++) y = this.g.node(op, [y, this.plain(ins[i]!)], {}, i === ins.length - 1 ? layer.name : `${layer.name}_${i}`);
    return y;
  }

  private flatten(x: T, p: string, outShape: number[]): T {
    const y = this.g.node('Flatten', [x.name], { axis: attr.i(1) }, p);
    const [h, w, c] = x.shape as [number, number, number];
    // When H·W = 1 or C = 1 the two orders coincide: nothing to undo.
    return h * w > 1 && c > 1 ? { name: y, shape: outShape, flat: { src: x.name, hwc: x.shape } } : { name: y, shape: outShape };
  }

  private reshape(layer: Layer, x: T, outShape: number[]): T {
    const g = this.g;
    const p = layer.name;
    if (x.shape.length === 3 && outShape.length === 1) return this.flatten(x, p, outShape); // the same values as TF's
    let src = x.shape.length === 3 ? g.node('Transpose', [x.name], { perm: attr.ints([0, 2, 3, 1]) }, `${p}_nhwc`) : this.plain(x);
    if (outShape.length === 3) {
      const [h, w, c] = outShape as [number, number, number];
      // [N, c] -> [N, 1, 1, c] is [N, c, 1, 1] in NCHW: one Reshape, no Transpose (the SE gate)
      if (h * w === 1) return { name: g.node('Reshape', [src, g.int64s(`${p}_shape`, [-1, c, 1, 1])], {}, p), shape: outShape };
      src = g.node('Reshape', [src, g.int64s(`${p}_shape`, [-1, h, w, c])], {}, `${p}_nhwc_out`);
      return { name: g.node('Transpose', [src], { perm: attr.ints([0, 3, 1, 2]) }, p), shape: outShape };
    }
    return { name: g.node('Reshape', [src, g.int64s(`${p}_shape`, [-1, ...outShape])], {}, p), shape: outShape };
  }
}
