import { seUnits, type ActivationName, type ResolvedModelSpec } from '../index.ts';
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
 * Elementwise kernels of an activation that is its own layer (build.ts's applyActivation), as
 * each runtime's own record shows them (onnxruntime's optimised graph, `tf.profile`'s kernels).
 * TF.js (the model as loaded from its saved files): swish is Multiply·Sigmoid·Multiply, relu6
 * Relu·Minimum, hswish/hsigmoid are stock layers (rescale, ReLU, clip, identity, multiply). onnxruntime: swish becomes one QuickGelu, hswish a HardSigmoid and
 * a Mul, hsigmoid one HardSigmoid.
 */
function actKernels(fn: ActivationName, runtime: KernelRuntime): number {
  if (fn === 'linear') return 0;
  if (runtime === 'onnx') return fn === 'hswish' ? 2 : 1;
  // relu6: the model as loaded (what bench and profile-device time) runs stock tfjs-layers' relu6,
  // Relu then Minimum; only a model built in memory runs the one Relu6 kernel
  return fn === 'swish' ? 3 : fn === 'hswish' ? 5 : fn === 'hsigmoid' ? 4 : fn === 'relu6' ? 2 : 1;
}

/**
 * Kernels of an activation passed inside a TF.js conv or dense layer: relu runs inside the
 * fused conv/matmul kernel; the others run after it (relu6 is tfjs-layers' minimum(6, relu(x)),
 * swish x·sigmoid(x)), and a dense layer then adds its bias on its own (a conv keeps it fused).
 */
function tfjsLayerAct(fn: ActivationName, dense: boolean): { bias: number; acts: number } {
  if (fn === 'linear' || fn === 'relu') return { bias: 0, acts: 0 };
  return { bias: dense ? 1 : 0, acts: fn === 'relu6' ? 2 : fn === 'swish' ? 3 : 1 };
}

/** Activations onnxruntime fuses into a Conv before it (FusedConv, NCHWc conv). */
const ORT_CONV_FUSED = new Set<ActivationName>(['relu', 'relu6', 'sigmoid', 'tanh', 'hsigmoid', 'hswish']);
/** Activations onnxruntime fuses into a Gemm before it (FusedGemm): not Clip (relu6), not HardSwish. */
const ORT_GEMM_FUSED = new Set<ActivationName>(['relu', 'sigmoid', 'tanh']);

/**
 * The kernels a runtime runs for a model, with the fusions it applies: on onnx (distillery's
 * export, then onnxruntime with all graph optimisations) a BatchNorm after a conv is folded
 * into its weights, every activation but swish after a conv and relu/sigmoid/tanh after a
 * matmul run inside it; on TF.js wasm a conv or dense layer runs its bias and a relu inside one
 * fused kernel, while BN, other activations (and then the bias) are kernels of their own.
 * Mirrors how models/build.ts builds each block; `kernels.test.ts` checks the counts against
 * what each runtime itself reports it runs.
 *
 * @example
 * kernelsOf(resolveSpec({ input: [8, 8, 1], blocks: [{ type: 'conv2d', filters: 4, batchNorm: true, activation: 'relu' }] }), 'onnx').map((k) => k.op);
 * // ['conv', 'reshape', 'matmul']: BN folded, relu fused; then the head
 */
export function kernelsOf(spec: ResolvedModelSpec, runtime: KernelRuntime): Kernel[] {
  const out: Kernel[] = [];
  const onnx = runtime === 'onnx';
  // onnx: whether the last kernel is a conv with nothing after it, so a BatchNorm block that
  // follows is folded into its weights (as the exporter does)
  let foldable = false;
  blockInstances(spec).forEach((bi, i) => {
    const b = bi.block;
    const from = `b${i} ${b.type}`;
    const inE = n(bi.inShape);
    const outE = n(bi.outShape);
    const push = (op: KernelOp, macs: number, elems: number, part = ''): void => {
      out.push({ op, macs, elems, from: part ? `${from} ${part}` : from });
      foldable = false;
    };
    // conv (or depthwise) → [BN] → act, as build.ts's convBnAct lays it out; `inLayer`: the
    // activation is passed to the TF.js conv layer itself (no BN, a stock activation)
    const convChain = (op: 'conv' | 'dwconv', macs: number, cin: number, cout: number, bn: boolean, act: ActivationName, inLayer: boolean, part: string): void => {
      push(op, macs, cin + cout, part);
      if (onnx) {
        // the exporter folds BN into the conv; onnxruntime fuses the activation (swish becomes a QuickGelu)
        if (!ORT_CONV_FUSED.has(act)) for (let k = 0; k < actKernels(act, runtime); k++) push('act', 0, 2 * cout, `${part} act`);
        foldable = act === 'linear';
        return;
      }
      if (bn) push('bn', 0, 2 * cout, `${part} bn`);
      const layerAct = inLayer && !bn && act !== 'hswish' && act !== 'hsigmoid';
      const k = layerAct ? tfjsLayerAct(act, false) : { bias: 0, acts: actKernels(act, runtime) };
      if (k.bias) push('binary', 0, 3 * cout, `${part} bias`);
      for (let j = 0; j < k.acts; j++) push('act', 0, 2 * cout, `${part} act`);
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
          // pool → dense relu → dense sigmoid → reshape → multiply
          push('gap', 0, ho * wo * e + e, 'se pool');
          push('matmul', e * r, e + r, 'se reduce');
          push('matmul', r * e, e + r, 'se expand');
          if (!onnx) push('binary', 0, 3 * e, 'se bias');
          if (!onnx) push('act', 0, 2 * e, 'se sigmoid');
          push('reshape', 0, 2 * e, 'se reshape');
          push('binary', 0, 2 * ho * wo * e + e, 'se mul');
        }
        convChain('conv', ho * wo * e * b.filters, ho * wo * e, outE, true, 'linear', false, 'project');
        // the residual add: onnxruntime sums into the project conv's output (FusedConv with Z),
        // except after a squeeze-excite (its graph keeps the Add)
        if (b.stride === 1 && cin === b.filters) {
          if (onnx && r === 0) foldable = false;
          else push('binary', 0, 3 * outE, 'add');
        }
        break;
      }
      case 'batchnorm':
        // folded into a conv right before it (and stays foldable: two BNs in a row fold too)
        if (onnx && foldable) break;
        push('bn', 0, inE + outE);
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
        // an Identity kernel in TF.js; nothing in ONNX
        if (!onnx) push('reshape', 0, inE + outE);
        break;
      case 'dense': {
        push('matmul', bi.macs, inE + outE);
        const a = b.activation;
        if (onnx) {
          if (!ORT_GEMM_FUSED.has(a)) for (let k = 0; k < actKernels(a, runtime); k++) push('act', 0, 2 * outE, 'act');
          break;
        }
        // hswish/hsigmoid are layers of their own after a linear dense; the rest go into the layer
        const k = a === 'hswish' || a === 'hsigmoid' ? { bias: 0, acts: actKernels(a, runtime) } : tfjsLayerAct(a, true);
        if (k.bias) push('binary', 0, 3 * outE, 'bias');
        for (let j = 0; j < k.acts; j++) push('act', 0, 2 * outE, 'act');
        break;
      }
    }
  });
  return out;
}

/**
 * The features of a model for the kernel latency model: a constant (the fixed cost of one
 * inference: its call, copying the input in and the output back, which a space's models share),
 * and per kernel kind its count (dispatch cost), MACs (conv, dwconv, matmul) and elements moved.
 *
 * @example
 * kernelFeatureNames().slice(0, 4); // ['fixed', 'conv.count', 'conv.macs', 'conv.elems']
 */
export function kernelFeatureNames(): string[] {
  const names = ['fixed'];
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
 * kernelFeatures(spec, 'onnx'); // [1, 2, 230400, 9472, ...]
 */
export function kernelFeatures(spec: ResolvedModelSpec, runtime: KernelRuntime): number[] {
  const ks = kernelsOf(spec, runtime);
  const f: number[] = [1];
  for (const op of KERNEL_OPS) {
    const of = ks.filter((k) => k.op === op);
    f.push(of.length);
    if (op === 'conv' || op === 'dwconv' || op === 'matmul') f.push(of.reduce((s, k) => s + k.macs, 0));
    f.push(of.reduce((s, k) => s + k.elems, 0));
  }
  return f;
}
