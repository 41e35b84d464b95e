import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { blockOutputNames } from './readback.ts';
import { DistilleryTransformerEncoder } from './text-layers.ts';

/** The suffix that names a transformer block's attention maps as a feature: `b2.attention`. */
export const ATTENTION_SUFFIX = '.attention';

/** What a transformer's attention maps are computed from: the layer, and the layer whose output feeds it. */
export interface AttentionSource {
  readonly layer: DistilleryTransformerEncoder;
  /** The layer whose output is the transformer's input (a feature the model can give in the same pass). */
  readonly input: string;
}

/**
 * The attention maps a text model can give, by feature name: `b<i>.attention` for each block
 * whose output is a transformer layer, and `<layer name>.attention` for the layer itself. The
 * maps are not an output of the model (the exported graph stays as it is): a caller reads the
 * `input` layer's output in the same forward pass and calls
 * `layer.attentionProbs(thatOutput, ids)`, see {@link attentionMaps}.
 *
 * @example
 * attentionSources(model).get('b1.attention')?.input; // 'b0_pos'
 */
export function attentionSources(model: tfl.LayersModel): Map<string, AttentionSource> {
  const out = new Map<string, AttentionSource>();
  const blocks = blockOutputNames(model);
  for (const layer of model.layers) {
    if (!(layer instanceof DistilleryTransformerEncoder)) continue;
    const node = layer.inboundNodes[0];
    const input = node?.inboundLayers[0]?.name;
    if (input === undefined) continue;
    const src = { layer, input };
    out.set(`${layer.name}${ATTENTION_SUFFIX}`, src);
    const b = blocks.indexOf(layer.name);
    if (b >= 0) out.set(`b${b}${ATTENTION_SUFFIX}`, src);
  }
  return out;
}

/**
 * Block indices of a model's transformer layers, in order (what TinyBERT's layer mapping counts).
 *
 * @example
 * transformerBlocks(model); // [1, 2, 3, 4] for embedding, four transformers, pooling
 */
export function transformerBlocks(model: tfl.LayersModel): number[] {
  return [...attentionSources(model).keys()].flatMap((k) => {
    const m = /^b(\d+)\.attention$/.exec(k);
    return m ? [Number(m[1])] : [];
  }).sort((a, b) => a - b);
}

/**
 * Attention maps by feature name from a forward pass's layer outputs (`outputs[source.input]`)
 * and the model's ids: [batch, heads, length, length] each.
 *
 * @example
 * const maps = attentionMaps(sources, ['b1.attention'], { b0_pos: x }, ids);
 */
export function attentionMaps(sources: ReadonlyMap<string, AttentionSource>, names: readonly string[], outputs: Readonly<Record<string, tf.Tensor>>, ids: tf.Tensor): Record<string, tf.Tensor> {
  const maps: Record<string, tf.Tensor> = {};
  for (const name of names) {
    const src = sources.get(name);
    const x = src ? outputs[src.input] : undefined;
    if (!src || !x) throw new Error(`internal error: no input for the attention maps '${name}'`);
    maps[name] = src.layer.attentionProbs(x, ids);
  }
  return maps;
}
