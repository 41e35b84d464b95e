import { DistilleryError } from '../core/errors.ts';
import { openOnnx } from '../runtime/index.ts';
import { attr, consumers, floatData, producers, type IrGraph, type IrNode } from './ir.ts';
import { encodeOnnx } from './proto.ts';
import { runOnnxBatches } from './run.ts';

/** Samples that set the activation ranges of an int8 export. */
export interface CalibrationOptions {
  /** Samples in distillery's layout (NHWC or flat), normalised as in training. */
  x: Float32Array;
  /** Per-sample shape, e.g. [28, 28, 1]. */
  shape: readonly number[];
  /** Use at most this many samples (default 1000). */
  limit?: number;
}

/** uint8 affine parameters of one activation tensor. */
interface QParams {
  scale: number;
  zero: number;
}

/** Ops whose integer kernels onnxruntime selects from DQ → op → Q. */
const COMPUTE = new Set(['Conv', 'Gemm']);
/** Ops that move values without changing them: their output keeps the input's parameters. */
const PASSTHROUGH = new Set(['MaxPool', 'Flatten', 'Reshape', 'Transpose']);

/**
 * The activation tensors to quantise: inputs of Conv/Gemm, their outputs (after a Relu/Clip
 * that reads only them, which onnxruntime then drops as the uint8 range already clamps), and
 * both sides of a residual Add (two computed tensors; an Add of a constant is left float). The graph output stays float32.
 */
function activationTensors(g: IrGraph): Set<string> {
  const uses = consumers(g);
  const out = new Set<string>();
  const byIndex = g.nodes;
  for (const n of g.nodes) {
    if (COMPUTE.has(n.op)) {
      out.add(n.inputs[0]!);
      let y = n.outputs[0]!;
      const readers = uses.get(y) ?? [];
      const next = readers.length === 1 && readers[0]! >= 0 ? byIndex[readers[0]!] : undefined;
      if (next && (next.op === 'Relu' || next.op === 'Clip')) y = next.outputs[0]!;
      out.add(y);
    } else if (n.op === 'Add' && !n.inputs.some((t) => g.inits.has(t))) {
      // a residual joins two computed tensors; an Add of a constant (the audio front-end's
      // log offset) is not one, and quantising around it would put the log's input on a grid
      for (const t of [...n.inputs, n.outputs[0]!]) out.add(t);
    }
  }
  out.delete(g.output.name);
  for (const t of [...out]) if (g.inits.has(t)) out.delete(t);
  return out;
}

function qparams(lo: number, hi: number): QParams {
  // the range must hold 0 exactly (zero padding, ReLU's floor)
  const rmin = Math.min(lo, 0);
  const rmax = Math.max(hi, 0);
  const scale = rmax > rmin ? (rmax - rmin) / 255 : 1;
  return { scale, zero: Math.min(255, Math.max(0, Math.round(-rmin / scale))) };
}

/**
 * Min and max of each tensor over the calibration samples, read by running the float32 graph
 * in onnxruntime with the tensors as extra outputs.
 */
async function calibrate(g: IrGraph, names: string[], cal: CalibrationOptions): Promise<Map<string, [number, number]>> {
  const d = cal.shape.reduce((a, b) => a * b, 1);
  const n = Math.min(cal.x.length / d, cal.limit ?? 1000);
  const ranges = new Map<string, [number, number]>(names.map((t) => [t, [Infinity, -Infinity]]));
  const inner = names.filter((t) => t !== g.input.name);
  const x = cal.x.subarray(0, n * d);
  if (ranges.has(g.input.name)) {
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of x) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    ranges.set(g.input.name, [lo, hi]);
  }
  if (inner.length === 0) return ranges;
  const probe: IrGraph = { ...g, extraOutputs: inner };
  const session = await openOnnx('<calibration graph>', { bytes: encodeOnnx(probe) });
  try {
    await runOnnxBatches(session, x, cal.shape, (out) => {
      for (const t of inner) {
        const r = ranges.get(t)!;
        for (const v of out[t]!.data) {
          if (v < r[0]) r[0] = v;
          if (v > r[1]) r[1] = v;
        }
      }
    }, { outputs: inner, batchSize: 250 });
  } finally {
    await session.release();
  }
  return ranges;
}

/**
 * Per-output-channel symmetric int8 weights: scale_o = max|w_o| / 127, zero point 0, `axis`
 * the output-channel axis of the weight as stored (0 for Conv's OIHW, 1 for Gemm's [in, out]).
 */
function quantizeWeights(w: Float32Array, dims: number[], axis: number): { q: Int8Array; scales: Float32Array } {
  const c = dims[axis]!;
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const chan = (i: number) => Math.floor(i / inner) % c;
  const maxAbs = new Float32Array(c);
  for (let i = 0; i < w.length; i++) maxAbs[chan(i)] = Math.max(maxAbs[chan(i)]!, Math.abs(w[i]!));
  const scales = Float32Array.from(maxAbs, (m) => (m > 0 ? m / 127 : 1));
  const q = new Int8Array(w.length);
  for (let i = 0; i < w.length; i++) q[i] = Math.max(-127, Math.min(127, Math.round(w[i]! / scales[chan(i)]!)));
  return { q, scales };
}

/**
 * Rewrites a float32 graph into QDQ form (the layout onnxruntime's quantisation tool writes,
 * which its graph optimiser fuses into QLinearConv / QGemm / QLinearAdd): weights int8,
 * per output channel, symmetric; biases int32 at scale x_scale · w_scale; activations uint8,
 * per tensor, asymmetric, their ranges the min/max over the calibration samples.
 * Throws `EXPORT_CALIBRATION` when no calibration samples are given.
 *
 * @example
 * const q = await quantizeInt8(onnxGraph(model), { x: train.x, shape: train.shape, limit: 500 });
 */
export async function quantizeInt8(g: IrGraph, cal: CalibrationOptions | undefined): Promise<IrGraph> {
  if (!cal || cal.x.length === 0) {
    throw new DistilleryError('EXPORT_CALIBRATION', 'an int8 export needs calibration samples to set the activation ranges', 'pass calibration samples from the training data (the CLI reads them from the model\'s data, or --data CONFIG)');
  }
  const acts = activationTensors(g);
  const prod = producers(g);
  // tensors that only move values inherit their source's parameters, so onnxruntime can drop the pair
  const inherits = new Map<string, string>();
  for (const t of acts) {
    const p = prod.get(t);
    if (p && PASSTHROUGH.has(p.op) && acts.has(p.inputs[0]!)) inherits.set(t, p.inputs[0]!);
  }
  const ranges = await calibrate(g, [...acts].filter((t) => !inherits.has(t)), cal);
  const params = new Map<string, QParams>();
  const root = (t: string): string => (inherits.has(t) ? root(inherits.get(t)!) : t);
  for (const t of acts) {
    const [lo, hi] = ranges.get(root(t))!;
    params.set(t, qparams(lo, hi));
  }

  const head: IrNode[] = [];
  const body: IrNode[] = [];
  const dq = new Map<string, string>();
  const scalarInit = (name: string, type: 'float32' | 'uint8' | 'int32', v: number): string => {
    g.inits.set(name, { name, type, dims: [], data: type === 'float32' ? Float32Array.of(v) : type === 'uint8' ? Uint8Array.of(v) : Int32Array.of(v) });
    return name;
  };
  // Q/DQ nodes go unnamed (names are optional in ONNX): in a small model their names would
  // outweigh the int8 weights
  const addQdq = (t: string): void => {
    const p = params.get(t)!;
    const s = scalarInit(`${t}_s`, 'float32', p.scale);
    const z = scalarInit(`${t}_z`, 'uint8', p.zero);
    const list = t === g.input.name ? head : body;
    list.push({ name: '', op: 'QuantizeLinear', inputs: [t, s, z], outputs: [`${t}_q`], attrs: {} });
    list.push({ name: '', op: 'DequantizeLinear', inputs: [`${t}_q`, s, z], outputs: [`${t}_dq`], attrs: {} });
    dq.set(t, `${t}_dq`);
  };
  if (acts.has(g.input.name)) addQdq(g.input.name);
  for (const n of g.nodes) {
    const node = { ...n, inputs: n.inputs.map((t) => dq.get(t) ?? t) };
    if (COMPUTE.has(n.op) && g.inits.has(n.inputs[1]!)) quantizeNodeWeights(g, node, params.get(n.inputs[0]!), head);
    body.push(node);
    for (const t of n.outputs) if (acts.has(t)) addQdq(t);
  }
  g.nodes = [...head, ...body];
  g.metadata['distillery.calibration'] = `minmax over ${Math.min(cal.x.length / cal.shape.reduce((a, b) => a * b, 1), cal.limit ?? 1000)} samples`;
  return g;
}

function quantizeNodeWeights(g: IrGraph, node: IrNode, x: QParams | undefined, head: IrNode[]): void {
  const wName = node.inputs[1]!;
  const w = g.inits.get(wName)!;
  const axis = node.op === 'Conv' ? 0 : 1;
  const { q, scales } = quantizeWeights(floatData(g, wName), w.dims, axis);
  const c = scales.length;
  g.inits.delete(wName);
  const put = (name: string, type: 'float32' | 'int8' | 'int32', dims: number[], data: Float32Array | Int8Array | Int32Array): string => {
    g.inits.set(name, { name, type, dims, data });
    return name;
  };
  const qw = put(`${wName}_q`, 'int8', w.dims, q);
  const sw = put(`${wName}_s`, 'float32', [c], scales);
  // onnxruntime's Gemm fusion wants the weights' zero points spelt out (0: symmetric)
  const zw = put(`${wName}_z`, 'int8', [c], new Int8Array(c));
  head.push({ name: '', op: 'DequantizeLinear', inputs: [qw, sw, zw], outputs: [`${wName}_dq`], attrs: { axis: attr.i(axis) } });
  node.inputs[1] = `${wName}_dq`;
  const bName = node.inputs[2];
  if (bName === undefined || !x) return;
  // int32 bias at scale x_scale · w_scale[o]: what the integer kernels add to their int32 sums
  const b = floatData(g, bName);
  const bs = Float32Array.from(scales, (s) => s * x.scale);
  const qb = Int32Array.from(b, (v, o) => Math.round(v / bs[o]!));
  g.inits.delete(bName);
  put(`${bName}_q`, 'int32', [c], qb);
  put(`${bName}_s`, 'float32', [c], bs);
  head.push({ name: '', op: 'DequantizeLinear', inputs: [`${bName}_q`, `${bName}_s`], outputs: [`${bName}_dq`], attrs: { axis: attr.i(0) } });
  node.inputs[2] = `${bName}_dq`;
}
