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
  /** conv, dwconv, matmul: the activation the runtime runs inside this kernel, on its output. */
  fused?: ActivationName;
  /** With `fused`: the kernel's output elements (its `elems` are input and output together). */
  out?: number;
  /** act: the kernel evaluates an exponential (sigmoid, tanh, swish), several times a relu's cost per element. */
  heavy?: boolean;
  /** bn, pool: its input is an activation's output (a conv with its activation fused, or an activation kernel). */
  afterAct?: boolean;
}

/** Activations whose kernels evaluate an exponential. */
const HEAVY = new Set<ActivationName>(['sigmoid', 'tanh', 'swish']);
/** Of the activations a conv or matmul kernel runs inside it, those with an exponential. */
const FUSED_HEAVY = new Set<ActivationName>(['sigmoid', 'tanh']);

/** The runtimes whose fusions {@link kernelsOf} knows. `browser` runs the same TF.js wasm kernels as `tfjs-wasm`. */
export type KernelRuntime = 'onnx' | 'tfjs-wasm' | 'browser';

const n = (s: readonly number[]): number => s.reduce((a, d) => a * d, 1);

/**
 * Elementwise kernels of an activation that is its own layer (build.ts's applyActivation), as
 * each runtime's own record shows them (onnxruntime's optimised graph, `tf.profile`'s kernels).
 * TF.js (the model as loaded from its saved files): swish is Multiply·Sigmoid·Multiply, relu6
 * Relu·Minimum, hswish/hsigmoid are stock layers (rescale, ReLU, clip, identity, multiply).
 * onnxruntime: swish becomes one QuickGelu, hswish a HardSigmoid and a Mul, hsigmoid one
 * HardSigmoid.
 */
function actKernels(fn: ActivationName, runtime: KernelRuntime): boolean[] {
  // one entry per kernel: whether it evaluates an exponential
  if (fn === 'linear') return [];
  if (runtime === 'onnx') return fn === 'hswish' ? [false, false] : [HEAVY.has(fn)];
  // relu6: the model as loaded (what bench and profile-device time) runs stock tfjs-layers' relu6,
  // Relu then Minimum; only a model built in memory runs the one Relu6 kernel
  const k = fn === 'swish' ? 3 : fn === 'hswish' ? 5 : fn === 'hsigmoid' ? 4 : fn === 'relu6' ? 2 : 1;
  return Array.from({ length: k }, (_, i) => (fn === 'swish' ? i === 1 : HEAVY.has(fn)));
}

/**
 * Kernels of an activation passed inside a TF.js conv or dense layer: relu runs inside the
 * fused conv/matmul kernel; the others run after it (relu6 is tfjs-layers' minimum(6, relu(x)),
 * swish x·sigmoid(x)), and a dense layer then adds its bias on its own (a conv keeps it fused).
 */
function tfjsLayerAct(fn: ActivationName, dense: boolean): { bias: number; acts: boolean[] } {
  if (fn === 'linear' || fn === 'relu') return { bias: 0, acts: [] };
  return { bias: dense ? 1 : 0, acts: fn === 'relu6' ? [false, false] : fn === 'swish' ? [false, true, false] : [HEAVY.has(fn)] };
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
  // whether the last kernel's output is an activation's (fused into it, or its own kernel)
  let activated = false;
  blockInstances(spec).forEach((bi, i) => {
    const b = bi.block;
    const from = `b${i} ${b.type}`;
    const inE = n(bi.inShape);
    const outE = n(bi.outShape);
    const push = (op: KernelOp, macs: number, elems: number, part = '', mark: Pick<Kernel, 'fused' | 'out' | 'heavy'> = {}): void => {
      const after = (op === 'bn' || op === 'pool') && activated ? { afterAct: true } : {};
      out.push({ op, macs, elems, from: part ? `${from} ${part}` : from, ...mark, ...after });
      foldable = false;
      activated = op === 'act' || (mark.fused !== undefined && mark.fused !== 'linear');
    };
    const acts = (heavy: readonly boolean[], elems: number, part: string): void => {
      for (const h of heavy) push('act', 0, elems, part, h ? { heavy: true } : {});
    };
    // conv (or depthwise) → [BN] → act, as build.ts's convBnAct lays it out; `inLayer`: the
    // activation is passed to the TF.js conv layer itself (no BN, a stock activation)
    const convChain = (op: 'conv' | 'dwconv', macs: number, cin: number, cout: number, bn: boolean, act: ActivationName, inLayer: boolean, part: string): void => {
      if (onnx) {
        // the exporter folds BN into the conv; onnxruntime fuses the activation (swish becomes a QuickGelu)
        const fused = ORT_CONV_FUSED.has(act);
        push(op, macs, cin + cout, part, fused ? { fused: act, out: cout } : {});
        if (!fused) acts(actKernels(act, runtime), 2 * cout, `${part} act`);
        foldable = act === 'linear';
        return;
      }
      const layerAct = inLayer && !bn && act !== 'hswish' && act !== 'hsigmoid';
      // TF.js runs a relu passed to the conv layer inside its FusedConv2D
      push(op, macs, cin + cout, part, layerAct && act === 'relu' ? { fused: 'relu', out: cout } : {});
      if (bn) push('bn', 0, 2 * cout, `${part} bn`);
      const k = layerAct ? tfjsLayerAct(act, false) : { bias: 0, acts: actKernels(act, runtime) };
      if (k.bias) push('binary', 0, 3 * cout, `${part} bias`);
      acts(k.acts, 2 * cout, `${part} act`);
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
          push('matmul', e * r, e + r, 'se reduce', { fused: 'relu', out: r });
          push('matmul', r * e, e + r, 'se expand', onnx ? { fused: 'sigmoid', out: e } : {});
          if (!onnx) push('binary', 0, 3 * e, 'se bias');
          if (!onnx) push('act', 0, 2 * e, 'se sigmoid', { heavy: true });
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
        acts(actKernels(b.fn, runtime), inE + outE, '');
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
        const a = b.activation;
        if (onnx) {
          const fused = ORT_GEMM_FUSED.has(a);
          push('matmul', bi.macs, inE + outE, '', fused ? { fused: a, out: outE } : {});
          if (!fused) acts(actKernels(a, runtime), 2 * outE, 'act');
          break;
        }
        push('matmul', bi.macs, inE + outE, '', a === 'relu' ? { fused: 'relu', out: outE } : {});
        // hswish/hsigmoid are layers of their own after a linear dense; the rest go into the layer
        const k = a === 'hswish' || a === 'hsigmoid' ? { bias: 0, acts: actKernels(a, runtime) } : tfjsLayerAct(a, true);
        if (k.bias) push('binary', 0, 3 * outE, 'bias');
        acts(k.acts, 2 * outE, 'act');
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
 * Then what fusion changes: the output elements of conv/matmul kernels running an activation
 * inside them (a relu, clip or hard sigmoid; or one with an exponential: sigmoid, tanh), and
 * kernels whose cost differs by what they follow or compute, counted apart from their kind's
 * others: activation kernels with an exponential (`act.heavy`), and BN and pool kernels that
 * read an activation's output (`bn.afterAct`, `pool.afterAct`: on onnx a BN there cannot be folded
 * into the conv, and it runs on a conv output that onnxruntime has just written in its own layout).
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
  names.push('fused.elems', 'fused.heavyElems', 'act.heavy.count', 'act.heavy.elems', 'bn.afterAct.count', 'bn.afterAct.elems', 'pool.afterAct.count', 'pool.afterAct.elems');
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
  // act.heavy, bn.afterAct and pool.afterAct kernels are counted under their own names only
  const apart = (k: Kernel): boolean => (k.op === 'act' && k.heavy === true) || ((k.op === 'bn' || k.op === 'pool') && k.afterAct === true);
  const f: number[] = [1];
  for (const op of KERNEL_OPS) {
    const of = ks.filter((k) => k.op === op && !apart(k));
    f.push(of.length);
    if (op === 'conv' || op === 'dwconv' || op === 'matmul') f.push(of.reduce((s, k) => s + k.macs, 0));
    f.push(of.reduce((s, k) => s + k.elems, 0));
  }
  const sum = (pred: (k: Kernel) => boolean, v: (k: Kernel) => number): number => ks.filter(pred).reduce((s, k) => s + v(k), 0);
  const fusedCheap = (k: Kernel): boolean => k.fused !== undefined && k.fused !== 'linear' && !FUSED_HEAVY.has(k.fused);
  const fusedHeavy = (k: Kernel): boolean => k.fused !== undefined && FUSED_HEAVY.has(k.fused);
  const heavyAct = (k: Kernel): boolean => k.op === 'act' && k.heavy === true;
  const after = (op: KernelOp) => (k: Kernel): boolean => k.op === op && k.afterAct === true;
  const one = (): number => 1;
  const el = (k: Kernel): number => k.elems;
  f.push(sum(fusedCheap, (k) => k.out ?? 0), sum(fusedHeavy, (k) => k.out ?? 0));
  f.push(sum(heavyAct, one), sum(heavyAct, el), sum(after('bn'), one), sum(after('bn'), el), sum(after('pool'), one), sum(after('pool'), el));
  return f;
}
