import type * as tfl from '@tensorflow/tfjs-layers';
import type { DistilleryError } from '../core/errors.ts';
import { Registry } from '../core/registry.ts';
import type { GraphBuilder } from './ir.ts';

/** A TF.js layer of the model being converted. */
export type ConvLayer = tfl.LayersModel['layers'][number];

/**
 * A tensor of the ONNX graph under construction, seen from TF.js. `shape` is TF's per-sample
 * shape: a 3-D shape [h, w, c] lives in ONNX as NCHW [N, c, h, w]; 2-D (a sequence [L, C]) as
 * [N, L, C], in TF's order; 1-D as [N, d]. `flat` marks a 1-D tensor flattened from NCHW,
 * whose values are in C·H·W order rather than TF's H·W·C: a Dense after it permutes its kernel
 * rows instead (see permuteFlattenRows).
 */
export interface OnnxT {
  name: string;
  shape: number[];
  flat?: { src: string; hwc: number[] };
}

/** What a layer converter gets: the graph and the converter's shared helpers. */
export interface ConvertContext {
  g: GraphBuilder;
  /** The tensor's values in TF's order (undoes a pending NCHW flatten). */
  plain(t: OnnxT): string;
  /** A named tfjs activation applied to `x` (x itself for linear). */
  activation(layer: ConvLayer, fn: string, x: string, base: string): string;
  /** The layer's weights by short name (`kernel`, `bias`, `q_kernel`, ...). */
  weights(layer: ConvLayer): Map<string, { data: Float32Array; shape: number[] }>;
  /** The `EXPORT_UNSUPPORTED` error naming the layer. */
  unsupported(layer: ConvLayer, why: string): DistilleryError;
  /** `1` at tokens, `0` at padding, float [N, L], from token ids (built once per graph). */
  tokenMask(ids: OnnxT): string;
}

/**
 * Converts one TF.js layer class: the layer, its inputs (in the converter's layout) and its
 * per-sample output shape in, the output tensor out.
 */
export type LayerConverter = (ctx: ConvertContext, layer: ConvLayer, ins: OnnxT[], outShape: number[]) => OnnxT;

/**
 * ONNX conversions of TF.js layer classes beyond the stock ones the converter knows, by class
 * name (`DistilleryTransformerEncoder`, ...). They live in this floor rather than beside the
 * blocks in models/, because the ONNX writer imports models/ (to rebuild a spec), so models/
 * importing the ONNX builder would make a loop.
 *
 * @example
 * layerConverters.register('MyLayer', (ctx, layer, [x]) => ({ name: ctx.g.node('Relu', [ctx.plain(x!)], {}, layer.name), shape: x!.shape }));
 */
export const layerConverters = new Registry<LayerConverter>('onnx layer');
