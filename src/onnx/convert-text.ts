import { sinusoid } from '../models/text-layers.ts';
import { attr } from './ir.ts';
import { layerConverters, type ConvertContext, type ConvLayer, type OnnxT } from './layer-converters.ts';
import { tfPads } from './weights.ts';

// ONNX (opset 17) for the text layers: the stock Embedding and Conv1D, and distillery's
// DistilleryPositions, DistilleryMaskedPool1D and DistilleryTransformerEncoder
// (models/text-layers.ts). Sequences stay [N, L, C] in TF's order; the padding mask is
// `ids != 0` of the graph's int32 input, computed once.

type Cfg = Record<string, unknown>;
const cfgOf = (l: ConvLayer): Cfg => l.getConfig() as Cfg;
const scalar = (v: unknown): number => (Array.isArray(v) ? Number(v[0]) : Number(v));

function need2(ctx: ConvertContext, layer: ConvLayer, x: OnnxT): void {
  if (x.shape.length !== 2) throw ctx.unsupported(layer, `expects a sequence [batch, length, channels], gets [batch, ${x.shape.join(', ')}]`);
}

layerConverters.register('Embedding', (ctx, layer, [ids], outShape) => {
  const w = ctx.weights(layer).get('embeddings')!;
  const table = ctx.g.floats(`${layer.name}_table`, w.shape, w.data);
  return { name: ctx.g.node('Gather', [table, ids!.name], { axis: attr.i(0) }, layer.name), shape: outShape };
});

layerConverters.register('DistilleryPositions', (ctx, layer, [x], outShape) => {
  need2(ctx, layer, x!);
  const c = cfgOf(layer);
  const learned = ctx.weights(layer).get('positions');
  const values = learned ? learned.data : sinusoid(c['length'] as number, c['dim'] as number);
  const table = ctx.g.floats(`${layer.name}_table`, [c['length'] as number, c['dim'] as number], values);
  return { name: ctx.g.node('Add', [ctx.plain(x!), table], {}, layer.name), shape: outShape };
});

layerConverters.register('Conv1D', (ctx, layer, [x], outShape) => {
  need2(ctx, layer, x!);
  const c = cfgOf(layer);
  const g = ctx.g;
  const w = ctx.weights(layer);
  const kernel = w.get('kernel')!; // [k, cin, cout]
  const [k, ci, co] = kernel.shape as [number, number, number];
  const oik = new Float32Array(co * ci * k);
  for (let t = 0; t < k; t++) for (let i = 0; i < ci; i++) for (let o = 0; o < co; o++) oik[(o * ci + i) * k + t] = kernel.data[(t * ci + i) * co + o]!;
  const stride = scalar(c['strides']);
  const dilation = scalar(c['dilationRate'] ?? 1);
  const pad = String(c['padding']);
  if (pad !== 'same' && pad !== 'valid') throw ctx.unsupported(layer, `padding '${pad}'`);
  const pads = tfPads(pad, [x!.shape[0]!, 1], [k, 1], [stride, 1], [dilation, 1]);
  const ncl = g.node('Transpose', [ctx.plain(x!)], { perm: attr.ints([0, 2, 1]) }, `${layer.name}_ncl`);
  const inputs = [ncl, g.floats(`${layer.name}_w`, [co, ci, k], oik)];
  const bias = w.get('bias');
  if (bias) inputs.push(g.floats(`${layer.name}_b`, [co], bias.data));
  const y = g.node('Conv', inputs, { kernel_shape: attr.ints([k]), strides: attr.ints([stride]), dilations: attr.ints([dilation]), pads: attr.ints([pads[0]!, pads[2]!]) }, `${layer.name}_conv`);
  const act = ctx.activation(layer, (c['activation'] as string | undefined) ?? 'linear', y, `${layer.name}_act`);
  return { name: g.node('Transpose', [act], { perm: attr.ints([0, 2, 1]) }, layer.name), shape: outShape };
});

layerConverters.register('DistilleryMaskedPool1D', (ctx, layer, [x, ids], outShape) => {
  need2(ctx, layer, x!);
  const g = ctx.g;
  const p = layer.name;
  const m = ctx.tokenMask(ids!);
  const m3 = g.node('Unsqueeze', [m, g.int64s(`${p}_axis2`, [2])], {}, `${p}_m3`);
  const count = g.node('ReduceSum', [m, g.int64s(`${p}_axis1`, [1])], { keepdims: attr.i(1) }, `${p}_count`);
  if (cfgOf(layer)['mode'] === 'avg') {
    const sum = g.node('ReduceSum', [g.node('Mul', [ctx.plain(x!), m3], {}, `${p}_masked`), g.int64s(`${p}_axis1s`, [1])], { keepdims: attr.i(0) }, `${p}_sum`);
    const denom = g.node('Max', [count, g.floats(`${p}_one`, [], [1])], {}, `${p}_denom`);
    return { name: g.node('Div', [sum, denom], {}, p), shape: outShape };
  }
  const shift = g.node('Mul', [g.node('Sub', [m3, g.floats(`${p}_one`, [], [1])], {}, `${p}_m1`), g.floats(`${p}_big`, [], [1e9])], {}, `${p}_shift`);
  const max = g.node('ReduceMax', [g.node('Add', [ctx.plain(x!), shift], {}, `${p}_masked`)], { axes: attr.ints([1]), keepdims: attr.i(0) }, `${p}_max`);
  const any = g.node('Min', [count, g.floats(`${p}_one1`, [], [1])], {}, `${p}_any`);
  return { name: g.node('Mul', [max, any], {}, p), shape: outShape };
});

layerConverters.register('DistilleryTransformerEncoder', (ctx, layer, [x, ids], outShape) => {
  need2(ctx, layer, x!);
  const g = ctx.g;
  const p = layer.name;
  const c = cfgOf(layer);
  const w = ctx.weights(layer);
  const [l, d] = x!.shape as [number, number];
  const heads = c['heads'] as number;
  const hd = d / heads;
  const eps = (c['epsilon'] as number | undefined) ?? 1e-5;
  const W = (name: string): string => {
    const v = w.get(name)!;
    return g.floats(`${p}_${name}`, v.shape, v.data);
  };
  const linear = (h: string, name: string): string => g.node('Add', [g.node('MatMul', [h, W(`${name}_kernel`)], {}, `${p}_${name}_mm`), W(`${name}_bias`)], {}, `${p}_${name}`);
  const norm = (h: string, which: string): string => g.node('LayerNormalization', [h, W(`${which}_gamma`), W(`${which}_beta`)], { axis: attr.i(-1), epsilon: attr.f(eps) }, `${p}_${which}`);
  // [N, L] mask -> additive bias [N, 1, 1, L]: 0 at tokens, -1e9 at padding
  const m = ctx.tokenMask(ids!);
  const bias = g.node('Unsqueeze', [g.node('Mul', [g.node('Sub', [m, g.floats(`${p}_one`, [], [1])], {}, `${p}_m1`), g.floats(`${p}_big`, [], [1e9])], {}, `${p}_negbig`), g.int64s(`${p}_axes12`, [1, 2])], {}, `${p}_maskbias`);
  const heads4 = g.int64s(`${p}_heads_shape`, [0, l, heads, hd]);
  const split = (t: string, perm: number[], name: string): string => g.node('Transpose', [g.node('Reshape', [t, heads4], {}, `${name}_r`)], { perm: attr.ints(perm) }, name);
  const attention = (h: string): string => {
    const q = split(linear(h, 'q'), [0, 2, 1, 3], `${p}_qh`);
    const kT = split(linear(h, 'k'), [0, 2, 3, 1], `${p}_khT`);
    const v = split(linear(h, 'v'), [0, 2, 1, 3], `${p}_vh`);
    const scores = g.node('Mul', [g.node('MatMul', [q, kT], {}, `${p}_qk`), g.floats(`${p}_scale`, [], [1 / Math.sqrt(hd)])], {}, `${p}_scores`);
    const probs = g.node('Softmax', [g.node('Add', [scores, bias], {}, `${p}_scores_masked`)], { axis: attr.i(-1) }, `${p}_probs`);
    const ctx4 = g.node('Transpose', [g.node('MatMul', [probs, v], {}, `${p}_ctx`)], { perm: attr.ints([0, 2, 1, 3]) }, `${p}_ctx_t`);
    return linear(g.node('Reshape', [ctx4, g.int64s(`${p}_model_shape`, [0, l, d])], {}, `${p}_ctx_r`), 'o');
  };
  const ff = (h: string): string => {
    const a = linear(h, 'ff1');
    let act: string;
    if (c['activation'] === 'gelu') {
      // 0.5·a·(1 + tanh(√(2/π)·(a + 0.044715·a³))), as models/text-layers.ts computes it
      const cube = g.node('Mul', [g.node('Mul', [a, a], {}, `${p}_a2`), a], {}, `${p}_a3`);
      const inner = g.node('Mul', [g.node('Add', [a, g.node('Mul', [cube, g.floats(`${p}_gc`, [], [0.044715])], {}, `${p}_ca3`)], {}, `${p}_gi`), g.floats(`${p}_gs`, [], [Math.sqrt(2 / Math.PI)])], {}, `${p}_gin`);
      const t = g.node('Add', [g.node('Tanh', [inner], {}, `${p}_gt`), g.floats(`${p}_g1`, [], [1])], {}, `${p}_gt1`);
      act = g.node('Mul', [g.node('Mul', [a, g.floats(`${p}_gh`, [], [0.5])], {}, `${p}_ah`), t], {}, `${p}_gelu`);
    } else {
      act = g.node('Relu', [a], {}, `${p}_relu`);
    }
    return linear(act, 'ff2');
  };
  let h = ctx.plain(x!);
  if (c['norm'] === 'pre') {
    h = g.node('Add', [h, attention(norm(h, 'ln1'))], {}, `${p}_res1`);
    h = g.node('Add', [h, ff(norm(h, 'ln2'))], {}, p);
  } else {
    h = norm(g.node('Add', [h, attention(h)], {}, `${p}_res1`), 'ln1');
    h = norm(g.node('Add', [h, ff(h)], {}, `${p}_res2`), 'ln2');
  }
  return { name: h, shape: outShape };
});
