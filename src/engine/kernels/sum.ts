/**
 * Sum over leading axes on the wasm backend (a bias gradient: dy summed over batch, height
 * and width). Stock 4.22 transposes the reduced axes innermost first, a full extra pass over
 * the biggest activation of a conv net; summing rows into per-channel accumulators reads it
 * once, in order. Every other reduction goes to the stock kernel.
 */
import { backend_util, Sum, util } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { asWasm, f32 } from './heap.ts';

/** Our Sum, falling back to `stock` (captured before we replace it). */
export function sumConfig(stock: KernelConfig): KernelConfig {
  const inner = stock.kernelFunc as KernelFunc;
  const kernelFunc = (args: { inputs: Record<string, TensorInfo>; backend: unknown; attrs?: NamedAttrMap }): TensorInfo => {
    const { x } = args.inputs as { x: TensorInfo };
    const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
    const axes = util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
    const leading = axes.length > 0 && axes.length < x.shape.length && axes.every((a, i) => a === i);
    if (x.dtype !== 'float32' || !leading) return inner(args as never) as TensorInfo;
    const backend = asWasm(args.backend);
    const rest = x.shape.slice(axes.length);
    const cols = util.sizeFromShape(rest);
    const rows = util.sizeFromShape(x.shape) / cols;
    const outShape = keepDims ? backend_util.expandShapeToKeepDim(rest, axes) : rest;
    const out = backend.makeOutput(outShape, 'float32');
    const xs = f32(backend, x);
    const os = f32(backend, out);
    // Accumulate in float64: a bias gradient adds up ~1e5 terms per channel.
    const acc = new Float64Array(cols);
    for (let r = 0, base = 0; r < rows; r++, base += cols) {
      for (let c = 0; c < cols; c++) acc[c] += xs[base + c]!;
    }
    os.set(acc);
    return out;
  };
  const config: KernelConfig = { kernelName: Sum, backendName: 'wasm', kernelFunc: kernelFunc as unknown as KernelFunc };
  if (stock.setupFunc) config.setupFunc = stock.setupFunc;
  return config;
}

