import { seUnits, type ActivationName, type ResolvedBlockSpec, type ResolvedModelSpec } from '../../models/index.ts';
import { blockInstances } from './blocks.ts';

/** Kernel kinds a runtime dispatches for distillery's blocks, after its fusions. */
export const KERNEL_OPS = ['conv', 'dwconv', 'matmul', 'bn', 'act', 'pool', 'gap', 'binary', 'reshape'] as const;
/** One of {@link KERNEL_OPS}. */
export type KernelOp = (typeof KERNEL_OPS)[number];

/** One kernel as the runtime runs it: its kind, multiply-accumulates, and activation elements read + written. */
export interface Kernel {
  op: KernelOp;
  macs: number;
  elems: number;
  /** The layer it comes from, e.g. `b2 mbconv dw` (for reading a prediction). */
  from: string;
}

/** The runtimes whose fusions {@link kernelsOf} knows. `browser` runs the same TF.js wasm kernels as `tfjs-wasm`. */
export type KernelRuntime = 'onnx' | 'tfjs-wasm' | 'browser';

const n = (s: readonly number[]): number => s.reduce((a, d) => a * d, 1);

/**
 * Elementwise kernels one standalone activation layer costs. TF.js: swish is x·sigmoid(x),
 * hswish/hsigmoid are built from stock layers (rescale, clipped ReLU, multiply). ONNX after
 * distillery's export: hsigmoid/hswish become one HardSigmoid/HardSwish node; swish stays
 * Sigmoid + Mul.
 */
function actKernels(fn: ActivationName, runtime: KernelRuntime): number {
  if (fn === 'linear') return 0;
  if (fn === 'swish') return 2;
  if (fn === 'hswish') return runtime === 'onnx' ? 1 : 4;
  if (fn === 'hsigmoid') return runtime === 'onnx' ? 1 : 3;
  return 1;
}

/** Activations onnxruntime's ConvActivationFusion folds into the conv (Relu, Clip, Sigmoid, Tanh, HardSigmoid). */
const ORT_FUSABLE = new Set<ActivationName>(['relu', 'relu6', 'sigmoid', 'tanh', 'hsigmoid']);
/** Activations tfjs-layers passes to its fused conv/matmul kernels (bias + activation in one). */
const TFJS_FUSED = new Set<ActivationName>(['relu', 'relu6', 'sigmoid', 'tanh', 'swish']);

/**
 * The kernels a runtime runs for a model, with the fusions it applies: on onnx (onnxruntime,
 * all graph optimisations) a BatchNorm right after a conv is folded into its weights and a
 * Relu/Clip/Sigmoid/Tanh/HardSigmoid after a conv or matmul becomes part of it; on TF.js wasm a
 * conv or dense layer without BN runs its bias and stock activation inside one fused kernel,
 * while BN and every other activation are kernels of their own. Mirrors how models/build.ts
 * builds each block and deploy/onnx exports it; `kernels.test.ts` checks the counts against
 * what each runtime reports.
 *
 * @example
 * kernelsOf(resolveSpec({ input: [8, 8, 1], blocks: [{ type: 'conv2d', filters: 4, batchNorm: true, activation: 'relu' }] }), 'onnx').map((k) => k.op);
 * // ['conv', 'reshape', 'matmul']: BN folded, relu fused; then the head
 */
export function kernelsOf(spec: ResolvedModelSpec, runtime: KernelRuntime): Kernel[] {
  const out: Kernel[] = [];
  const onnx = runtime === 'onnx';
  blockInstances(spec).forEach((bi, i) => {
    const b = bi.block;
    const from = `b${i} ${b.type}`;
    const inE = n(bi.inShape);
    const outE = n(bi.outShape);
    const push = (op: KernelOp, macs: number, elems: number, part = ''): void => {
      out.push({ op, macs, elems, from: part ? `${from} ${part}` : from });
    };
    // conv (or depthwise) → [BN] → act, as build.ts's convBnAct lays it out
    const convChain = (op: 'conv' | 'dwconv', macs: number, cin: number, cout: number, bn: boolean, act: ActivationName, layersFuseAct: boolean, part: string): void => {
      push(op, macs, cin + cout, part);
      if (bn && !onnx) push('bn', 0, 2 * cout, `${part} bn`);
      const fused = onnx ? ORT_FUSABLE.has(act) : layersFuseAct && !bn && TFJS_FUSED.has(act);
      if (!fused) for (let k = 0; k < actKernels(act, runtime); k++) push('act', 0, 2 * cout, `${part} act`);
    };
    switch (b.type) {
      case 'conv2d':
        convChain('conv', bi.macs, inE, outE, b.batchNorm, b.activation, true, 'conv');
        break;
      case 'sepconv': {
        const dwOut = outE / b.filters * (bi.inShape[2] ?? 1);
        const dwMacs = dwOut * b.kernel * b.kernel;
        convChain('dwconv', dwMacs, inE, dwOut, b.batchNorm, b.activation, false, 'dw');
        convChain('conv', bi.macs - dwMacs, dwOut, outE, b.batchNorm, b.activation, true, 'pw');
        break;
      }
      case 'mbconv': {
        const [h, w, cin] = bi.inShape as [number, number, number];
        const e = cin * b.expansion;
        const [ho, wo] = bi.outShape as [number, number, number];
        if (b.expansion > 1) convChain('conv', h * w * cin * e, inE, h * w * e, true, b.activation, false, 'expand');
        convChain('dwconv', ho * wo * e * b.kernel * b.kernel, h * w * e, ho * wo * e, true, b.activation, false, 'dw');
        const r = seUnits(e, b.se);
        if (r > 0) {
          push('gap', 0, ho * wo * e + e, 'se pool');
          push('matmul', e * r, e + r, 'se reduce');
          push('matmul', r * e, e + r, 'se expand');
          if (onnx) push('act', 0, 2 * e, 'se sigmoid');
          push('reshape', 0, 2 * e, 'se reshape');
          push('binary', 0, 2 * ho * wo * e + e, 'se mul');
        }
        convChain('conv', ho * wo * e * b.filters, ho * wo * e, outE, true, 'linear', false, 'project');
        if (b.stride === 1 && cin === b.filters) push('binary', 0, 3 * outE, 'add');
        break;
      }
      case 'batchnorm':
        // A lone BN after a conv block is still folded by onnxruntime only when it follows the conv directly.
        if (!(onnx && followsConv(spec.blocks, i))) push('bn', 0, inE + outE);
        break;
      case 'activation':
        for (let k = 0; k < actKernels(b.fn, runtime); k++) push('act', 0, inE + outE);
        break;
      case 'maxpool':
      case 'avgpool':
        push('pool', 0, inE + outE);
        break;
      case 'globalavgpool':
        push('gap', 0, inE + outE);
        break;
      case 'flatten':
        push('reshape', 0, inE + outE);
        break;
      case 'dropout':
        break;
      case 'dense': {
        push('matmul', bi.macs, inE + outE);
        const fused = onnx ? ORT_FUSABLE.has(b.activation) : TFJS_FUSED.has(b.activation);
        if (!fused) for (let k = 0; k < actKernels(b.activation, runtime); k++) push('act', 0, 2 * outE, 'act');
        break;
      }
    }
  });
  return out;
}

function followsConv(blocks: readonly ResolvedBlockSpec[], i: number): boolean {
  const prev = blocks[i - 1];
  // mbconv ends in project conv + BN (+ add); a conv2d/sepconv without BN or activation ends in its conv
  return prev !== undefined && (prev.type === 'conv2d' || prev.type === 'sepconv') && !prev.batchNorm && prev.activation === 'linear';
}

/**
 * The features of a model for the kernel latency model: a constant (the fixed cost of one
 * inference), the input elements (copied in), the output elements (read back), and per kernel
 * kind its count (dispatch cost), MACs (conv, dwconv, matmul) and elements moved.
 *
 * @example
 * kernelFeatureNames().slice(0, 5); // ['fixed', 'input', 'output', 'conv.count', 'conv.macs']
 */
export function kernelFeatureNames(): string[] {
  const names = ['fixed', 'input', 'output'];
  for (const op of KERNEL_OPS) {
    names.push(`${op}.count`);
    if (op === 'conv' || op === 'dwconv' || op === 'matmul') names.push(`${op}.macs`);
    names.push(`${op}.elems`);
  }
  return names;
}

/**
 * A model's feature vector (in {@link kernelFeatureNames}' order) from its kernels.
 *
 * @example
 * kernelFeatures(spec, 'onnx'); // [1, 784, 10, 2, 230400, ...]
 */
export function kernelFeatures(spec: ResolvedModelSpec, runtime: KernelRuntime): number[] {
  const ks = kernelsOf(spec, runtime);
  const last = blockInstances(spec).at(-1);
  const f: number[] = [1, n(spec.input), last ? n(last.outShape) : n(spec.input)];
  for (const op of KERNEL_OPS) {
    const of = ks.filter((k) => k.op === op);
    f.push(of.length);
    if (op === 'conv' || op === 'dwconv' || op === 'matmul') f.push(of.reduce((s, k) => s + k.macs, 0));
    f.push(of.reduce((s, k) => s + k.elems, 0));
  }
  return f;
}
