import type * as tfl from '@tensorflow/tfjs-layers';
import { DistilleryError } from '../core/errors.ts';
import { DEFAULT_MODEL_NAME, METADATA_KEY } from './build.ts';
import { resolveBlock, resolveSpec, type ActivationName, type ResolvedBlockSpec, type ResolvedModelSpec } from './spec.ts';

type Layer = tfl.LayersModel['layers'][number];
type Cfg = Record<string, unknown>;

/**
 * The resolved spec of a model built by `buildModel`, also after `saveModel`/`loadModel` or
 * `tf.loadLayersModel`. Reads the spec stored in the user-defined metadata when present, else
 * reconstructs it from the layers' names and configs ({@link specFromLayers}).
 *
 * @example
 * const spec = specFromModel(await loadModel('out/model'));
 * buildModel(spec); // the same architecture
 */
export function specFromModel(model: tfl.LayersModel): ResolvedModelSpec {
  const meta = model.getUserDefinedMetadata() as Cfg | undefined;
  const entry = meta?.[METADATA_KEY] as Cfg | undefined;
  if (entry && typeof entry === 'object' && entry['spec'] !== undefined) {
    const inputShape = model.inputs[0]!.shape.slice(1) as number[];
    const spec = resolveSpec(entry['spec'] as never, { inputShape }, `${model.name} metadata ${METADATA_KEY}.spec`);
    // A spec stored by someone else (e.g. a raw config without the appended head) may not
    // describe these layers: trust it only when its blocks match the layers' block count.
    if (spec.blocks.length === blockOutputNames(model).length) return spec;
  }
  return specFromLayers(model);
}

/**
 * Reconstructs the spec from layer names (`b<i>_<role>`) and configs alone: for models whose
 * metadata was stripped. Exact for every field, except that an mbconv's `se` comes back as
 * units / expanded channels (equal to the original whenever se × channels is a whole number).
 *
 * @example
 * specFromLayers(model).blocks[0]; // { type: 'conv2d', filters: 32, ... }
 */
export function specFromLayers(model: tfl.LayersModel): ResolvedModelSpec {
  const groups = new Map<number, Map<string, Layer>>();
  for (const l of model.layers) {
    const m = /^b(\d+)_(.+)$/.exec(l.name);
    if (!m) continue;
    const i = Number(m[1]);
    if (!groups.has(i)) groups.set(i, new Map());
    groups.get(i)!.set(m[2]!, l);
  }
  const blocks: ResolvedBlockSpec[] = [];
  for (let i = 0; i < groups.size; i++) {
    const g = groups.get(i);
    if (!g) throw notOurs(model, `no layer named b${i}_*`);
    blocks.push(readBlock(g, model, i));
  }
  const input = model.inputs[0]!.shape.slice(1) as number[];
  const spec: ResolvedModelSpec = { input, blocks };
  if (model.name !== DEFAULT_MODEL_NAME) spec.name = model.name;
  return spec;
}

function notOurs(model: tfl.LayersModel, why: string): DistilleryError {
  return new DistilleryError(
    'MODEL_NOT_DISTILLERY',
    `model '${model.name}' was not built by distillery (${why})`,
    'load a model saved by distillery, or write its spec by hand',
  );
}

function cfg(l: Layer): Cfg {
  return l.getConfig() as Cfg;
}

function scalar(v: unknown): number {
  return Array.isArray(v) ? (v[0] as number) : (v as number);
}

/** The activation a block applies under `role` (`act`, `dw_act`, ...), or `fused` from its conv/dense. */
function readAct(g: Map<string, Layer>, role: string, fused?: Layer): ActivationName {
  const inner = fused ? (cfg(fused)['activation'] as string) : 'linear';
  if (inner !== 'linear') return inner as ActivationName;
  const l = g.get(role);
  if (!l) return 'linear';
  const cls = l.getClassName();
  if (cls === 'Multiply') return 'hswish';
  if (cls === 'ReLU') return 'hsigmoid';
  return cfg(l)['activation'] as ActivationName;
}

/**
 * A conv2d or sepconv block: both carry the same options. A sepconv keeps its geometry (kernel,
 * stride, padding, bias) on its depthwise layer and its filters and fused activation on its
 * pointwise one; a conv2d keeps all of them on its one conv layer.
 */
function readConv(g: Map<string, Layer>, type: 'conv2d' | 'sepconv', geometry: Layer, out: Layer, batchNorm: boolean): ResolvedBlockSpec {
  const k = cfg(geometry);
  return resolveBlock({
    type,
    filters: cfg(out)['filters'] as number,
    kernel: scalar(k['kernelSize']),
    stride: scalar(k['strides']),
    padding: k['padding'] as 'same' | 'valid',
    activation: readAct(g, 'act', out),
    batchNorm,
    bias: k['useBias'] as boolean,
  });
}

function readBlock(g: Map<string, Layer>, model: tfl.LayersModel, i: number): ResolvedBlockSpec {
  const get = (role: string): Layer => {
    const l = g.get(role);
    if (!l) throw notOurs(model, `block ${i} lacks layer b${i}_${role}`);
    return l;
  };
  if (g.has('project')) {
    const dw = cfg(get('dw'));
    const project = get('project');
    const e = (project.getWeights()[0]?.shape[2] ?? 0) as number;
    const expand = g.get('expand');
    const cin = expand ? (expand.getWeights()[0]!.shape[2] as number) : e;
    const reduce = g.get('se_reduce');
    return resolveBlock({
      type: 'mbconv',
      filters: cfg(project)['filters'] as number,
      expansion: e / cin,
      kernel: scalar(dw['kernelSize']),
      stride: scalar(dw['strides']),
      se: reduce ? (cfg(reduce)['units'] as number) / e : 0,
      activation: readAct(g, expand ? 'expand_act' : 'dw_act'),
    });
  }
  if (g.has('dw') && g.has('pw')) return readConv(g, 'sepconv', get('dw'), get('pw'), g.has('dw_bn'));
  if (g.has('conv')) return readConv(g, 'conv2d', get('conv'), get('conv'), g.has('bn'));
  if (g.has('dense')) {
    const d = get('dense');
    const k = cfg(d);
    const c = k['kernelConstraint'] as { className?: string; config?: { maxValue?: number } } | null | undefined;
    const maxNorm = c?.className === 'MaxNorm' ? c.config?.maxValue : undefined;
    return resolveBlock({ type: 'dense', units: k['units'] as number, activation: readAct(g, 'act', d), bias: k['useBias'] as boolean, ...(maxNorm !== undefined ? { maxNorm } : {}) });
  }
  for (const t of ['maxpool', 'avgpool'] as const) {
    if (g.has(t)) {
      const k = cfg(get(t));
      return { type: t, size: scalar(k['poolSize']), stride: scalar(k['strides']), padding: k['padding'] as 'same' | 'valid' };
    }
  }
  if (g.has('globalavgpool')) return { type: 'globalavgpool' };
  if (g.has('flatten')) return { type: 'flatten' };
  if (g.has('dropout')) return { type: 'dropout', rate: cfg(get('dropout'))['rate'] as number };
  if (g.has('bn')) return { type: 'batchnorm' };
  if (g.has('act')) return { type: 'activation', fn: readAct(g, 'act') };
  throw notOurs(model, `block ${i} has unknown layers ${[...g.keys()].map((r) => `b${i}_${r}`).join(', ')}`);
}

/**
 * The name of the layer that outputs each block, in block order: where to take features
 * (e.g. for hint or attention losses).
 *
 * @example
 * blockOutputNames(model); // ['b0_act', 'b1_act', 'b2_maxpool', 'b3_flatten', 'b4_dense']
 */
export function blockOutputNames(model: tfl.LayersModel): string[] {
  const last = new Map<number, string>();
  for (const l of model.layers) {
    const m = /^b(\d+)_/.exec(l.name);
    // model.layers is in topological order, so the last layer seen of a block is its output
    if (m) last.set(Number(m[1]), l.name);
  }
  return [...last.keys()].sort((a, b) => a - b).map((k) => last.get(k)!);
}
