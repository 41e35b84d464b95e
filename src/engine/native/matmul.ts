import * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from './addon.ts';
import { allocF32, kernel, stock, values } from './elementwise-util.ts';
import type { KernelArgs } from './elementwise-util.ts';

/** The addon's matmul entry (native/src/matmul.cc). */
type MatmulFn = (a: Float32Array, b: Float32Array, out: Float32Array, batchA: number, batchB: number,
  m: number, n: number, k: number, transA: boolean, transB: boolean, bias: Float32Array | null, act: number, alpha: number) => void;

/** Activation codes of matmul.cc; absent names (prelu) run the stock kernel. */
const ACT: Record<string, number> = { linear: 0, relu: 1, relu6: 2, sigmoid: 3, elu: 4, leakyrelu: 5 };

interface Dims { batchA: number; batchB: number; m: number; n: number; k: number; outShape: number[] }

/** tfjs's BatchMatMul shape rules: trailing two dims multiply, leading ones broadcast. */
function dims(a: tf.TensorInfo, b: tf.TensorInfo, transA: boolean, transB: boolean): Dims {
  const ra = a.shape.length;
  const rb = b.shape.length;
  const k = transA ? a.shape[ra - 2] : a.shape[ra - 1];
  const kb = transB ? b.shape[rb - 1] : b.shape[rb - 2];
  const m = transA ? a.shape[ra - 1] : a.shape[ra - 2];
  const n = transB ? b.shape[rb - 2] : b.shape[rb - 1];
  tf.util.assert(k === kb, () => `Error in matMul: inner shapes (${k}) and (${kb}) of Tensors with shapes ${a.shape} and ${b.shape} and transposeA=${transA} and transposeB=${transB} must match.`);
  const outer = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  return {
    batchA: tf.util.sizeFromShape(a.shape.slice(0, -2)),
    batchB: tf.util.sizeFromShape(b.shape.slice(0, -2)),
    m, n, k, outShape: [...outer, m, n],
  };
}

/** Whether `bias` adds one value per output column, so oneDNN's [1, N] bias applies. */
function isColumnBias(bias: tf.TensorInfo, n: number, outRank: number): boolean {
  const s = bias.shape;
  return s.length <= outRank && tf.util.sizeFromShape(s) === n && (s.length === 0 ? n === 1 : s[s.length - 1] === n);
}

/**
 * Native `BatchMatMul` and `_FusedMatMul` over oneDNN's matmul primitive: every transpose
 * combination, batch broadcasting as tfjs allows, a column bias and relu / relu6 / sigmoid /
 * elu / leakyrelu fused as post-ops. float32 only; other dtypes, prelu and biases that are not
 * one value per column run the stock cpu kernels.
 *
 * @example
 * for (const k of matmulKernels(addon)) tf.registerKernel(k);
 */
export function matmulKernels(addon: NativeAddon): tf.KernelConfig[] {
  if (typeof addon['matmul'] !== 'function') return [];
  const matmul = addon['matmul'] as unknown as MatmulFn;
  const stockBmm = stock('BatchMatMul');
  const stockFused = stock('_FusedMatMul');

  function run(args: KernelArgs, bias: tf.TensorInfo | undefined, act: number, alpha: number): tf.TensorInfo {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const transA = Boolean(args.attrs?.['transposeA']);
    const transB = Boolean(args.attrs?.['transposeB']);
    const d = dims(a, b, transA, transB);
    const size = tf.util.sizeFromShape(d.outShape);
    const out = allocF32(size);
    if (size > 0) {
      if (d.k === 0) out.fill(0);
      else matmul(values(args.backend, a), values(args.backend, b), out, d.batchA, d.batchB, d.m, d.n, d.k, transA, transB,
        bias ? values(args.backend, bias) : null, act, alpha);
    }
    return args.backend.makeTensorInfo(d.outShape, 'float32', out);
  }

  return [
    kernel('BatchMatMul', (args) => {
      const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      if (a.dtype !== 'float32' || b.dtype !== 'float32') return stockBmm(args);
      return run(args, undefined, 0, 0);
    }),
    kernel('_FusedMatMul', (args) => {
      const { a, b, bias } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo; bias?: tf.TensorInfo };
      const act = ACT[(args.attrs?.['activation'] as string | undefined) ?? 'linear'];
      if (a.dtype !== 'float32' || b.dtype !== 'float32' || act === undefined) return stockFused(args);
      if (bias !== undefined) {
        const d = dims(a, b, Boolean(args.attrs?.['transposeA']), Boolean(args.attrs?.['transposeB']));
        // k = 0 would skip the product and with it the bias: rare enough for the stock kernel
        if (bias.dtype !== 'float32' || d.k === 0 || !isColumnBias(bias, d.n, d.outShape.length)) return stockFused(args);
      }
      return run(args, bias, act, Number(args.attrs?.['leakyreluAlpha'] ?? 0.2));
    }),
  ];
}
