/**
 * BatchMatMul and _FusedMatMul for the wasm backend with transposed operands rewritten as an
 * explicit transpose + plain GEMM. In 4.22 the transposed cases (every Dense backward pass)
 * miss XNNPACK's packed fast path and run several times slower than the plain product; a
 * transpose costs one pass over the operand.
 */
import { BatchMatMul, getKernel, _FusedMatMul } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { asWasm } from './heap.ts';
import { assert } from '../../core/errors.ts';

type Args = { inputs: Record<string, TensorInfo>; backend: unknown; attrs?: NamedAttrMap };

function swapLastTwo(t: TensorInfo, backend: unknown): TensorInfo {
  const transpose = getKernel('Transpose', 'wasm');
  assert(transpose, () => 'wasm Transpose kernel missing');
  const rank = t.shape.length;
  const perm = [...Array(rank).keys()];
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return (transpose.kernelFunc as KernelFunc)({ inputs: { x: t }, backend: backend as never, attrs: { perm } }) as TensorInfo;
}

/**
 * Wraps a stock matmul-like kernel (inputs `a`, `b`; attrs `transposeA`, `transposeB`) so it
 * only ever sees untransposed operands.
 */
function untransposed(stock: KernelConfig): KernelConfig {
  const inner = stock.kernelFunc as KernelFunc;
  const kernelFunc = (args: Args): TensorInfo => {
    const attrs = (args.attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
    if (!attrs.transposeA && !attrs.transposeB) return inner(args as never) as TensorInfo;
    const backend = asWasm(args.backend);
    const temps: TensorInfo[] = [];
    let { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    if (attrs.transposeA) { a = swapLastTwo(a, args.backend); temps.push(a); }
    if (attrs.transposeB) { b = swapLastTwo(b, args.backend); temps.push(b); }
    try {
      return inner({ ...args, inputs: { ...args.inputs, a, b }, attrs: { ...args.attrs, transposeA: false, transposeB: false } } as never) as TensorInfo;
    } finally {
      for (const t of temps) backend.disposeData(t.dataId);
    }
  };
  // The stock setupFunc binds the C entry point that the stock kernelFunc calls.
  const config: KernelConfig = { kernelName: stock.kernelName, backendName: 'wasm', kernelFunc: kernelFunc as unknown as KernelFunc };
  if (stock.setupFunc) config.setupFunc = stock.setupFunc;
  return config;
}

/**
 * Our BatchMatMul and _FusedMatMul, built from the stock configs (captured before we replace
 * them).
 */
export function matmulConfigs(stockBatchMatMul: KernelConfig, stockFusedMatMul: KernelConfig): KernelConfig[] {
  assert(stockBatchMatMul.kernelName === BatchMatMul && stockFusedMatMul.kernelName === _FusedMatMul,
    () => 'matmulConfigs expects the stock BatchMatMul and _FusedMatMul');
  return [untransposed(stockBatchMatMul), untransposed(stockFusedMatMul)];
}
