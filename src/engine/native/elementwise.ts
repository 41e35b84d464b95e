import * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from './addon.ts';
import { allocF32, kernel, stock, values } from './elementwise-util.ts';
import type { NativeKernelFunc } from './elementwise-util.ts';
import { reduceKernels } from './elementwise-reduce.ts';

/** Binary op codes of elementwise.cc, by kernel name; comparisons yield bool. */
const BINARY: Record<string, { code: number; bool: boolean }> = {
  Add: { code: 0, bool: false }, Sub: { code: 1, bool: false }, Multiply: { code: 2, bool: false },
  RealDiv: { code: 3, bool: false }, Maximum: { code: 4, bool: false }, Minimum: { code: 5, bool: false },
  SquaredDifference: { code: 6, bool: false }, Greater: { code: 7, bool: true }, GreaterEqual: { code: 8, bool: true },
  Less: { code: 9, bool: true }, LessEqual: { code: 10, bool: true }, Equal: { code: 11, bool: true }, NotEqual: { code: 12, bool: true },
  Pow: { code: 13, bool: false },
};

/** Unary op codes of elementwise.cc, with how each reads its attrs into (alpha, beta). */
const UNARY: Record<string, { code: number; params?: (attrs: tf.NamedAttrMap) => [number, number] }> = {
  Relu: { code: 0 }, Relu6: { code: 1 }, Step: { code: 2, params: (a) => [Number(a['alpha'] ?? 0), 0] },
  Neg: { code: 3 }, Square: { code: 4 }, Sqrt: { code: 5 }, Rsqrt: { code: 6 }, Exp: { code: 7 }, Log: { code: 8 },
  Sigmoid: { code: 9 }, Abs: { code: 10 }, Tanh: { code: 11 }, Reciprocal: { code: 12 },
  ClipByValue: { code: 13, params: (a) => [Number(a['clipValueMin']), Number(a['clipValueMax'])] },
  Elu: { code: 14 }, LeakyRelu: { code: 15, params: (a) => [Number(a['alpha'] ?? 0.2), 0] },
};

/**
 * How a broadcast binary op walks memory: the output as [d0, d1, d2] and each operand's
 * strides over those dims (0 where it broadcasts; the innermost stride is 0 or 1).
 */
export interface BroadcastPlan {
  outShape: number[];
  dims: [number, number, number];
  sa: [number, number, number];
  sb: [number, number, number];
}

/**
 * Collapse a tfjs broadcast of `aShape` with `bShape` to at most three dims, merging adjacent
 * dims where each operand either varies or broadcasts alike. Same shapes, scalars, a trailing
 * bias ([n, c] + [c]), a per-row value ([n, c] - [n, 1]) and NHWC per-channel values all fit;
 * undefined when more than three dims remain (the caller then runs the stock kernel).
 *
 * @example
 * broadcastPlan([128, 10], [128, 1]).dims; // [1, 128, 10] with b's inner stride 0
 */
export function broadcastPlan(aShape: readonly number[], bShape: readonly number[]): BroadcastPlan | undefined {
  const outShape = tf.broadcast_util.assertAndGetBroadcastShape([...aShape], [...bShape]);
  const r = outShape.length;
  const pa = [...Array<number>(r - aShape.length).fill(1), ...aShape];
  const pb = [...Array<number>(r - bShape.length).fill(1), ...bShape];
  const runs: Array<{ size: number; fa: number; fb: number }> = [];
  for (let i = 0; i < r; i++) {
    if (outShape[i] === 1) continue;
    const fa = pa[i] === 1 ? 0 : 1;
    const fb = pb[i] === 1 ? 0 : 1;
    const last = runs[runs.length - 1];
    if (last && last.fa === fa && last.fb === fb) last.size *= outShape[i];
    else runs.push({ size: outShape[i], fa, fb });
  }
  if (runs.length > 3) return undefined;
  while (runs.length < 3) runs.unshift({ size: 1, fa: 0, fb: 0 });
  const strides = (flag: 'fa' | 'fb'): [number, number, number] => {
    const s: [number, number, number] = [0, 0, 0];
    let acc = 1;
    for (let i = 2; i >= 0; i--) {
      s[i] = runs[i][flag] ? acc : 0;
      if (runs[i][flag]) acc *= runs[i].size;
    }
    return s;
  };
  return { outShape, dims: [runs[0].size, runs[1].size, runs[2].size], sa: strides('fa'), sb: strides('fb') };
}

type BinaryFn = (op: number, a: Float32Array, b: Float32Array, out: Float32Array | Uint8Array,
  d0: number, d1: number, d2: number, sa0: number, sa1: number, sa2: number, sb0: number, sb1: number, sb2: number) => void;
type UnaryFn = (op: number, x: Float32Array, out: Float32Array, alpha: number, beta: number) => void;
type SelectFn = (cond: Uint8Array, t: Float32Array, e: Float32Array, out: Float32Array) => void;
type CastFn = (x: Uint8Array | Int32Array, out: Float32Array) => void;

/**
 * Native elementwise kernels: the binary ops (Add, Sub, Multiply, RealDiv, Maximum, Minimum,
 * SquaredDifference, Pow and the comparisons) with broadcasting that collapses to three dims, the
 * unary maps training uses (Relu, Relu6, Step, Sigmoid, Exp, Log, Sqrt, Rsqrt, ClipByValue...),
 * Select, Cast to float32, and the reductions of elementwise-reduce.ts. float32 only: other
 * dtypes and broadcasts run the stock cpu kernels.
 *
 * @example
 * for (const k of elementwiseKernels(addon)) tf.registerKernel(k);
 */
export function elementwiseKernels(addon: NativeAddon): tf.KernelConfig[] {
  if (typeof addon['binary'] !== 'function') return [];
  const binary = addon['binary'] as unknown as BinaryFn;
  const unary = addon['unary'] as unknown as UnaryFn;
  const select = addon['select'] as unknown as SelectFn;
  const castToFloat = addon['castToFloat'] as unknown as CastFn;
  const out: tf.KernelConfig[] = [];

  for (const [name, op] of Object.entries(BINARY)) {
    const fallback = stock(name);
    out.push(kernel(name, (args) => {
      const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      if (a.dtype !== 'float32' || b.dtype !== 'float32') return fallback(args);
      const plan = broadcastPlan(a.shape, b.shape);
      if (!plan) return fallback(args);
      const size = tf.util.sizeFromShape(plan.outShape);
      const res = op.bool ? new Uint8Array(size) : allocF32(size);
      if (size > 0) {
        const [d0, d1, d2] = plan.dims;
        binary(op.code, values(args.backend, a), values(args.backend, b), res, d0, d1, d2, ...plan.sa, ...plan.sb);
      }
      return args.backend.makeTensorInfo(plan.outShape, op.bool ? 'bool' : 'float32', res);
    }));
  }

  for (const [name, op] of Object.entries(UNARY)) {
    const fallback = stock(name);
    out.push(kernel(name, (args) => {
      const { x } = args.inputs as { x: tf.TensorInfo };
      if (x.dtype !== 'float32') return fallback(args);
      const [alpha, beta] = op.params ? op.params(args.attrs ?? {}) : [0, 0];
      const xs = values(args.backend, x);
      const res = allocF32(xs.length);
      unary(op.code, xs, res, alpha, beta);
      return args.backend.makeTensorInfo(x.shape, 'float32', res);
    }));
  }

  const logical = addon['logical'] as unknown as (op: number, a: Uint8Array, b: Uint8Array, out: Uint8Array, ...plan: number[]) => void;
  for (const [name, code] of [['LogicalAnd', 0], ['LogicalOr', 1], ['LogicalNot', 2]] as const) {
    const fallback = stock(name);
    out.push(kernel(name, (args) => {
      const { a, b, x } = args.inputs as { a?: tf.TensorInfo; b?: tf.TensorInfo; x?: tf.TensorInfo };
      const left = a ?? x;
      const right = b ?? left;
      if (!left || !right) return fallback(args);
      const av = args.backend.data.get(left.dataId).values;
      const bv = args.backend.data.get(right.dataId).values;
      const plan = broadcastPlan(left.shape, right.shape);
      if (!plan || !(av instanceof Uint8Array) || !(bv instanceof Uint8Array) || left.dtype !== 'bool' || right.dtype !== 'bool') return fallback(args);
      const res = new Uint8Array(tf.util.sizeFromShape(plan.outShape));
      if (res.length > 0) logical(code, av, bv, res, ...plan.dims, ...plan.sa, ...plan.sb);
      return args.backend.makeTensorInfo(plan.outShape, 'bool', res);
    }));
  }

  const stockSelect = stock('Select');
  out.push(kernel('Select', (args) => {
    const { condition, t, e } = args.inputs as { condition: tf.TensorInfo; t: tf.TensorInfo; e: tf.TensorInfo };
    const cond = args.backend.data.get(condition.dataId).values;
    const same = tf.util.arraysEqual(condition.shape, t.shape) && tf.util.arraysEqual(t.shape, e.shape);
    if (!same || t.dtype !== 'float32' || e.dtype !== 'float32' || !(cond instanceof Uint8Array)) return stockSelect(args);
    const res = allocF32(tf.util.sizeFromShape(t.shape));
    select(cond, values(args.backend, t), values(args.backend, e), res);
    return args.backend.makeTensorInfo(t.shape, 'float32', res);
  }));

  const stockCast = stock('Cast');
  const cast: NativeKernelFunc = (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const xs = args.backend.data.get(x.dataId).values;
    const from = x.dtype === 'bool' && xs instanceof Uint8Array ? xs : x.dtype === 'int32' && xs instanceof Int32Array ? xs : undefined;
    if (args.attrs?.['dtype'] !== 'float32' || from === undefined) return stockCast(args);
    const res = allocF32(from.length);
    castToFloat(from, res);
    return args.backend.makeTensorInfo(x.shape, 'float32', res);
  };
  out.push(kernel('Cast', cast));

  // The stock Slice (and SplitV, Unpack, StridedSlice, built on it) returns views (subarrays)
  // of its input for contiguous slices; the fused optimizer updates weights in place
  // (optim.ts), which would change such a view under its holder. A copy keeps every tensor's
  // memory its own.
  for (const name of ['Slice', 'SplitV', 'Unpack', 'StridedSlice']) {
    const fallback = stock(name, false);
    out.push(kernel(name, (args) => {
      const res = fallback(args);
      // Unpack names its input `value`, the others `x`
      const { x, value } = args.inputs as { x?: tf.TensorInfo; value?: tf.TensorInfo };
      const input = (x ?? value) as tf.TensorInfo;
      const src = args.backend.data.get(input.dataId).values;
      for (const r of Array.isArray(res) ? res : [res]) {
        const data = args.backend.data.get(r.dataId);
        if (r.dataId !== input.dataId && ArrayBuffer.isView(data.values) && ArrayBuffer.isView(src) && data.values.buffer === src.buffer) {
          data.values = (data.values as Float32Array).slice();
        }
      }
      return res;
    }));
  }

  return [...out, ...reduceKernels(addon)];
}
