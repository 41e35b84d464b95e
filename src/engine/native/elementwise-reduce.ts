import * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from './addon.ts';
import { allocF32, kernel, stock, values } from './elementwise-util.ts';

/** Reduction op codes of elementwise_reduce.cc. */
const REDUCE: Record<string, { code: number; axisAttr: string }> = {
  Sum: { code: 0, axisAttr: 'axis' }, Mean: { code: 1, axisAttr: 'axis' },
  Max: { code: 2, axisAttr: 'reductionIndices' }, Min: { code: 3, axisAttr: 'axis' },
};

/** A reduction seen as [outer, reduced, inner] -> [outer, inner]. */
export interface ReducePlan {
  outer: number;
  reduced: number;
  inner: number;
  /** Output shape as tfjs gives it (with or without kept dims). */
  outShape: number[];
}

/**
 * Whether reducing `axes` of `shape` is one contiguous block of axes, and if so its
 * [outer, reduced, inner] view: a bias gradient (sum over axis 0), batch-norm statistics
 * (axes 0-2 of NHWC), a softmax's max over the last axis. Undefined otherwise.
 *
 * @example
 * reducePlan([128, 1200], [0], false); // { outer: 1, reduced: 128, inner: 1200, outShape: [1200] }
 */
export function reducePlan(shape: readonly number[], axes: readonly number[], keepDims: boolean): ReducePlan | undefined {
  const sorted = [...new Set(axes)].sort((p, q) => p - q);
  if (sorted.length === 0) return undefined;
  const first = sorted[0];
  const last = sorted[sorted.length - 1];
  if (last - first + 1 !== sorted.length) return undefined;
  const size = (from: number, to: number): number => shape.slice(from, to).reduce((p, q) => p * q, 1);
  const outShape = keepDims ? shape.map((d, i) => (i >= first && i <= last ? 1 : d)) : shape.filter((_, i) => i < first || i > last);
  return { outer: size(0, first), reduced: size(first, last + 1), inner: size(last + 1, shape.length), outShape };
}

type ReduceFn = (op: number, x: Float32Array, out: Float32Array, outer: number, reduced: number, inner: number) => void;
type ArgMaxFn = (x: Float32Array, out: Int32Array, outer: number, reduced: number, inner: number) => void;
type SoftmaxFn = (x: Float32Array, out: Float32Array, rows: number, cols: number) => void;
type TileFn = (x: Float32Array, out: Float32Array, shape: Int32Array, reps: Int32Array) => void;

/**
 * Native reductions (Sum, Mean, Max, Min, ArgMax over one contiguous block of axes), Softmax
 * over the last axis, Tile and Transposes that are (batched) 2-D swaps, float32 only; anything
 * else runs the stock cpu kernel.
 *
 * @example
 * for (const k of reduceKernels(addon)) tf.registerKernel(k);
 */
export function reduceKernels(addon: NativeAddon): tf.KernelConfig[] {
  if (typeof addon['reduce'] !== 'function') return [];
  const reduce = addon['reduce'] as unknown as ReduceFn;
  const argMax = addon['argMax'] as unknown as ArgMaxFn;
  const softmax = addon['softmax'] as unknown as SoftmaxFn;
  const tile = addon['tile'] as unknown as TileFn;
  const out: tf.KernelConfig[] = [];

  for (const [name, op] of Object.entries(REDUCE)) {
    const fallback = stock(name);
    out.push(kernel(name, (args) => {
      const { x } = args.inputs as { x: tf.TensorInfo };
      if (x.dtype !== 'float32') return fallback(args);
      const axes = tf.util.parseAxisParam(args.attrs?.[op.axisAttr] as number | number[], x.shape);
      const plan = reducePlan(x.shape, axes, Boolean(args.attrs?.['keepDims']));
      // an empty reduction has tfjs's own identities (0, NaN, -Inf): leave them to it
      if (!plan || plan.reduced === 0) return fallback(args);
      const res = allocF32(plan.outer * plan.inner);
      if (res.length > 0) reduce(op.code, values(args.backend, x), res, plan.outer, plan.reduced, plan.inner);
      return args.backend.makeTensorInfo(plan.outShape, 'float32', res);
    }));
  }

  const stockArgMax = stock('ArgMax');
  out.push(kernel('ArgMax', (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const axes = tf.util.parseAxisParam(args.attrs?.['axis'] as number | number[], x.shape);
    const plan = axes.length === 1 ? reducePlan(x.shape, axes, false) : undefined;
    if (x.dtype !== 'float32' || !plan || plan.reduced === 0) return stockArgMax(args);
    const res = new Int32Array(plan.outer * plan.inner);
    if (res.length > 0) argMax(values(args.backend, x), res, plan.outer, plan.reduced, plan.inner);
    return args.backend.makeTensorInfo(plan.outShape, 'int32', res);
  }));

  const stockSoftmax = stock('Softmax');
  out.push(kernel('Softmax', (args) => {
    const { logits } = args.inputs as { logits: tf.TensorInfo };
    const rank = logits.shape.length;
    const dim = Number(args.attrs?.['dim'] ?? -1);
    const cols = logits.shape[rank - 1] ?? 0;
    if (logits.dtype !== 'float32' || rank === 0 || (dim !== -1 && dim !== rank - 1) || cols === 0) return stockSoftmax(args);
    const xs = values(args.backend, logits);
    const res = allocF32(xs.length);
    softmax(xs, res, xs.length / cols, cols);
    return args.backend.makeTensorInfo(logits.shape, 'float32', res);
  }));

  const stockTile = stock('Tile');
  out.push(kernel('Tile', (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const reps = (args.attrs?.['reps'] as number[] | undefined) ?? [];
    if (x.dtype !== 'float32' || x.shape.length === 0 || reps.length !== x.shape.length) return stockTile(args);
    const outShape = x.shape.map((d, i) => d * reps[i]);
    const res = allocF32(tf.util.sizeFromShape(outShape));
    if (res.length > 0) tile(values(args.backend, x), res, Int32Array.from(x.shape), Int32Array.from(reps));
    return args.backend.makeTensorInfo(outShape, 'float32', res);
  }));
  const transpose2d = addon['transpose2d'] as unknown as (x: Float32Array, out: Float32Array, batch: number, rows: number, cols: number) => void;
  const stockTranspose = stock('Transpose');
  out.push(kernel('Transpose', (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const perm = (args.attrs?.['perm'] as number[] | undefined) ?? [];
    const plan = swapPlan(x.shape, perm);
    if (x.dtype !== 'float32' || !plan) return stockTranspose(args);
    const outShape = perm.map((p) => x.shape[p]);
    const res = allocF32(tf.util.sizeFromShape(outShape));
    if (res.length > 0) transpose2d(values(args.backend, x), res, plan.batch, plan.rows, plan.cols);
    return args.backend.makeTensorInfo(outShape, 'float32', res);
  }));
  return out;
}

/**
 * Whether `perm` swaps two adjacent blocks of axes behind a block left in place, i.e. is a
 * (batched) 2-D transpose [batch, rows, cols] -> [batch, cols, rows] once adjacent axes that
 * move together are merged: [1, 0], [0, 2, 1], [2, 3, 0, 1], [0, 1, 3, 2]... Undefined otherwise.
 *
 * @example
 * swapPlan([4, 5, 6], [0, 2, 1]); // { batch: 4, rows: 5, cols: 6 }
 */
export function swapPlan(shape: readonly number[], perm: readonly number[]): { batch: number; rows: number; cols: number } | undefined {
  const r = shape.length;
  if (perm.length !== r || r < 2) return undefined;
  // leading axes that stay put form the batch
  let lead = 0;
  while (lead < r && perm[lead] === lead) lead++;
  if (lead === r) return undefined;
  // the rest must read perm = [k..r-1, lead..k-1] for one split point k
  const k = perm[lead];
  for (let i = lead; i < r; i++) {
    const want = i - lead < r - k ? k + (i - lead) : lead + (i - lead - (r - k));
    if (perm[i] !== want) return undefined;
  }
  const size = (from: number, to: number): number => shape.slice(from, to).reduce((p, q) => p * q, 1);
  return { batch: size(0, lead), rows: size(lead, k), cols: size(k, r) };
}
