import type * as tfl from '@tensorflow/tfjs-layers';
import { DistilleryError } from '../core/errors.ts';
import { DEFAULT_MODEL_NAME, METADATA_KEY } from './build.ts';
import { blockDefs } from './blocks/all.ts';
import type { LayerGroup } from './blocks/types.ts';
import { resolveSpec, type ResolvedBlockSpec, type ResolvedModelSpec } from './spec.ts';

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

function readBlock(g: Map<string, Layer>, model: tfl.LayersModel, i: number): ResolvedBlockSpec {
  const group: LayerGroup = {
    has: (role) => g.has(role),
    opt: (role) => g.get(role),
    get(role) {
      const l = g.get(role);
      if (!l) throw notOurs(model, `block ${i} lacks layer b${i}_${role}`);
      return l;
    },
    roles: () => [...g.keys()],
  };
  for (const def of blockDefs) {
    const b = def.readback(group);
    if (b) return b;
  }
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
