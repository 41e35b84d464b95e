import * as tfl from '@tensorflow/tfjs-layers';
import { z } from 'zod';
import { DistilleryError } from '../../core/errors.ts';
import { applyActivation, applyBatchNorm, call, type Inits, isBuiltinActivation, type Sym } from '../layers.ts';
import type { Layer, LayerGroup } from './types.ts';

import { activationNames, type ActivationName } from '../activations.ts';

export { activationNames, type ActivationName };

/** Schema atoms shared by block schemas. */
export const activation = z.enum(activationNames);
/** `same` or `valid`, as Keras names them. */
export const padding = z.enum(['same', 'valid']);
/** A positive integer. */
export const pos = z.number().int().min(1);

type Cfg = Record<string, unknown>;

/** A layer's config. */
export function cfg(l: Layer): Cfg {
  return l.getConfig() as Cfg;
}

/** A Keras size that may be a number or a one/two-element list: its first value. */
export function scalar(v: unknown): number {
  return Array.isArray(v) ? (v[0] as number) : (v as number);
}

/** The activation a block applies under `role` (`act`, `dw_act`, ...), or the one fused into `fused` (a conv/dense). */
export function readAct(g: LayerGroup, role: string, fused?: Layer): ActivationName {
  const inner = fused ? (cfg(fused)['activation'] as string) : 'linear';
  if (inner !== 'linear') return inner as ActivationName;
  const l = g.opt(role);
  if (!l) return 'linear';
  const cls = l.getClassName();
  if (cls === 'Multiply') return 'hswish';
  if (cls === 'ReLU') return 'hsigmoid';
  return cfg(l)['activation'] as ActivationName;
}

/** Throws `MODEL_SHAPE` unless the input is [H, W, C]. */
export function need3(s: number[], path: string, type: string): [number, number, number] {
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

/** Throws `MODEL_SHAPE` unless the input is a sequence [length, channels]. */
export function need2(s: number[], path: string, type: string): [number, number] {
  if (s.length !== 2) {
    throw new DistilleryError(
      'MODEL_SHAPE',
      `${path} (${type}) needs a sequence [length, channels] input but gets [${s.join(', ')}]`,
      s.length === 1 ? `start a text model with { type: embedding }, and put ${path} before the pooling/dense blocks` : 'sequence blocks follow an embedding block',
      path,
    );
  }
  return [s[0]!, s[1]!];
}

/** Output size of a k-wide window with stride s along one axis, as TF.js computes it. */
export function window1(n: number, k: number, stride: number, pad: 'same' | 'valid', path: string): number {
  if (pad === 'same') return Math.ceil(n / stride);
  if (k > n) {
    throw new DistilleryError('MODEL_SHAPE', `${path}: window ${k} is longer than its input ${n} (padding valid)`, `use a window of at most ${n}, or padding same`, path);
  }
  return Math.floor((n - k) / stride) + 1;
}

/** Output size of a k×k window with stride s, as TF.js computes it. */
export function window(h: number, w: number, k: number, stride: number, pad: 'same' | 'valid', path: string): [number, number] {
  if (pad === 'same') return [Math.ceil(h / stride), Math.ceil(w / stride)];
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

/** A stock Conv2D layer applied to `x`. */
export function conv(x: Sym, p: string, filters: number, kernel: number, stride: number, pad: 'same' | 'valid', bias: boolean, act: 'linear' | 'relu' | 'relu6' | 'sigmoid' | 'tanh' | 'swish', inits: Inits): Sym {
  return call(tfl.layers.conv2d({ name: p, filters, kernelSize: kernel, strides: stride, padding: pad, useBias: bias, activation: act, kernelInitializer: inits.glorot() }), x);
}

/** A stock DepthwiseConv2D layer (multiplier 1) applied to `x`; `kernel` may be [kh, kw]. */
export function depthwise(x: Sym, p: string, kernel: number | [number, number], stride: number, pad: 'same' | 'valid', bias: boolean, inits: Inits): Sym {
  return call(tfl.layers.depthwiseConv2d({ name: p, kernelSize: kernel, strides: stride, padding: pad, depthMultiplier: 1, useBias: bias, depthwiseInitializer: inits.glorot() }), x);
}

/** Options of a conv → [BN] → act chain. */
export interface ConvBnActOptions {
  filters: number;
  kernel: number;
  stride: number;
  padding: 'same' | 'valid';
  bias: boolean;
  batchNorm: boolean;
  activation: ActivationName;
}

/**
 * conv → [BN] → act. Without BN a stock activation goes inside the conv layer (tfjs-layers then
 * uses a fused conv+bias+act kernel where one exists); otherwise it is its own layer `p_act`.
 */
export function convBnAct(x: Sym, p: string, role: string, b: ConvBnActOptions, inits: Inits, actName: string): Sym {
  const fuse = !b.batchNorm && isBuiltinActivation(b.activation) ? b.activation : 'linear';
  let y = conv(x, `${p}_${role}`, b.filters, b.kernel, b.stride, b.padding, b.bias, fuse, inits);
  if (b.batchNorm) y = applyBatchNorm(y, `${p}_${role === 'conv' ? 'bn' : `${role}_bn`}`);
  return fuse === 'linear' ? applyActivation(y, b.activation, actName) : y;
}

/**
 * Throws `MODEL_SHAPE` unless a masked block's sequence is as long as the token input: the
 * padding mask is read from the ids, position by position.
 */
export function needTokenLength(l: number, tokenLength: number | undefined, path: string, type: string): void {
  if (tokenLength === undefined) {
    throw new DistilleryError('MODEL_SHAPE', `${path} (${type}) masks padding, so the model must take token ids`, 'start the model with { type: embedding } and input { kind: tokens, length: N }', path);
  }
  if (l !== tokenLength) {
    throw new DistilleryError('MODEL_SHAPE', `${path} (${type}) masks padding but its sequence has length ${l}, not the input's ${tokenLength}`, `put ${path} before blocks that shorten the sequence (stride > 1 or padding valid)`, path);
  }
}
