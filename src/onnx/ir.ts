import { assert } from '../core/errors.ts';

/**
 * A small in-memory ONNX graph: what the converter writes, the optimisation and quantisation
 * passes rewrite, and {@link ./proto.ts} serialises. Plain data, so a pass is a function of
 * a graph and a test can look at nodes without decoding protobuf.
 */

/** Element types distillery writes (ONNX TensorProto.DataType names, lower-cased). */
export type ElemType = 'float32' | 'float16' | 'int8' | 'uint8' | 'int32' | 'int64';

/** The typed array that holds each element type's values (float16 as raw bits). */
export type ElemData = Float32Array | Uint16Array | Int8Array | Uint8Array | Int32Array | BigInt64Array;

/** A constant tensor of the graph (weights, shapes, quantisation parameters). */
export interface Initializer {
  name: string;
  type: ElemType;
  dims: number[];
  data: ElemData;
}

/** An attribute value: ONNX infers INT/FLOAT/INTS/FLOATS/STRING from the JS value (see {@link attr}). */
export type AttrValue = { i: number } | { f: number } | { ints: number[] } | { floats: number[] } | { s: string };

/** One operator of the default ONNX domain. */
export interface IrNode {
  name: string;
  op: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, AttrValue>;
}

/** A graph input or output: float32 (or int32 token ids) with a symbolic batch dimension as its first axis. */
export interface IrValue {
  name: string;
  /** Dims after the batch axis. */
  dims: number[];
  /** Element type; default float32 (a text model's input is int32 token ids). */
  type?: 'float32' | 'int32';
}

/** A whole model: one input, one output, nodes in topological order. */
export interface IrGraph {
  name: string;
  input: IrValue;
  output: IrValue;
  nodes: IrNode[];
  inits: Map<string, Initializer>;
  /** Extra float32 outputs of unknown shape (calibration reads intermediate tensors this way). */
  extraOutputs?: string[];
  /** `metadata_props` of the model. */
  metadata: Record<string, string>;
}

/**
 * Attribute helpers: integers and floats must be told apart explicitly, as JS has one number type.
 *
 * @example
 * { strides: attr.ints([2, 2]), alpha: attr.f(1 / 6) }
 */
export const attr = {
  i: (v: number): AttrValue => ({ i: v }),
  f: (v: number): AttrValue => ({ f: v }),
  ints: (v: number[]): AttrValue => ({ ints: v }),
  floats: (v: number[]): AttrValue => ({ floats: v }),
  s: (v: string): AttrValue => ({ s: v }),
};

/**
 * Builds an {@link IrGraph} with unique tensor and node names.
 *
 * @example
 * const g = new GraphBuilder('model', { name: 'input', dims: [784] });
 * const w = g.init('fc_w', 'float32', [784, 10], weights);
 * const y = g.node('Gemm', [g.input.name, w], {}, 'fc');
 * g.finish(y, [10]);
 */
export class GraphBuilder {
  readonly graph: IrGraph;
  private readonly used = new Set<string>();

  constructor(name: string, input: IrValue) {
    this.graph = { name, input, output: { name: 'logits', dims: [] }, nodes: [], inits: new Map(), metadata: {} };
    this.used.add(input.name);
  }

  get input(): IrValue {
    return this.graph.input;
  }

  /** A fresh name built from `base` (suffixed when taken). */
  fresh(base: string): string {
    let name = base;
    for (let k = 1; this.used.has(name); k++) name = `${base}_${k}`;
    this.used.add(name);
    return name;
  }

  /** Adds a constant; returns its (unique) name. */
  init(base: string, type: ElemType, dims: number[], data: ElemData): string {
    const n = dims.reduce((a, b) => a * b, 1);
    assert(data.length === n, () => `initializer ${base}: ${data.length} values for dims [${dims.join(', ')}]`);
    const name = this.fresh(base);
    this.graph.inits.set(name, { name, type, dims: [...dims], data });
    return name;
  }

  /** A float32 constant from plain numbers. */
  floats(base: string, dims: number[], values: ArrayLike<number>): string {
    return this.init(base, 'float32', dims, Float32Array.from(values as ArrayLike<number>));
  }

  /** An int64 constant (shapes, axes). */
  int64s(base: string, values: number[]): string {
    return this.init(base, 'int64', [values.length], BigInt64Array.from(values.map(BigInt)));
  }

  /** Appends a node with one output named after `base`; returns the output name. */
  node(op: string, inputs: string[], attrs: Record<string, AttrValue> = {}, base = op.toLowerCase()): string {
    const out = this.fresh(base);
    this.graph.nodes.push({ name: this.fresh(`${base}_node`), op, inputs, outputs: [out], attrs });
    return out;
  }

  /** Names the graph output: renames the tensor `last` to the output name everywhere. */
  finish(last: string, dims: number[], outputName = 'logits'): IrGraph {
    renameTensor(this.graph, last, outputName);
    this.graph.output = { name: outputName, dims };
    return this.graph;
  }
}

/**
 * Renames a tensor in every node, initializer and graph value that mentions it.
 *
 * @example
 * renameTensor(graph, 'gemm_3', 'logits');
 */
export function renameTensor(g: IrGraph, from: string, to: string): void {
  if (from === to) return;
  for (const n of g.nodes) {
    n.inputs = n.inputs.map((t) => (t === from ? to : t));
    n.outputs = n.outputs.map((t) => (t === from ? to : t));
  }
  const init = g.inits.get(from);
  if (init) {
    g.inits.delete(from);
    g.inits.set(to, { ...init, name: to });
  }
  if (g.input.name === from) g.input = { ...g.input, name: to };
  if (g.output.name === from) g.output = { ...g.output, name: to };
}

/**
 * Who reads each tensor: node indices by tensor name (the graph output counts as a reader, -1).
 *
 * @example
 * consumers(g).get('conv_1')?.length === 1; // a single reader: safe to fuse
 */
export function consumers(g: IrGraph): Map<string, number[]> {
  const m = new Map<string, number[]>();
  g.nodes.forEach((n, i) => {
    for (const t of n.inputs) {
      if (t === '') continue;
      if (!m.has(t)) m.set(t, []);
      m.get(t)!.push(i);
    }
  });
  for (const t of [g.output.name, ...(g.extraOutputs ?? [])]) {
    if (!m.has(t)) m.set(t, []);
    m.get(t)!.push(-1);
  }
  return m;
}

/**
 * The node that writes each tensor.
 *
 * @example
 * producers(g).get('relu_2')?.op; // 'Relu'
 */
export function producers(g: IrGraph): Map<string, IrNode> {
  const m = new Map<string, IrNode>();
  for (const n of g.nodes) for (const t of n.outputs) m.set(t, n);
  return m;
}

/**
 * Drops nodes whose outputs nobody reads and initializers no node reads.
 *
 * @example
 * pruneDead(graph); // after a fusion left a node behind
 */
export function pruneDead(g: IrGraph): void {
  const live = new Set<string>([g.output.name, ...(g.extraOutputs ?? [])]);
  const keep: IrNode[] = [];
  for (let i = g.nodes.length - 1; i >= 0; i--) {
    const n = g.nodes[i]!;
    if (n.outputs.some((t) => live.has(t))) {
      keep.push(n);
      for (const t of n.inputs) live.add(t);
    }
  }
  g.nodes = keep.reverse();
  for (const name of [...g.inits.keys()]) if (!live.has(name)) g.inits.delete(name);
}

/**
 * A float32 initializer's values (throws an internal error for another type).
 *
 * @example
 * const w = floatData(g, node.inputs[1]!);
 */
export function floatData(g: IrGraph, name: string): Float32Array {
  const t = g.inits.get(name);
  assert(t && t.type === 'float32', () => `${name} is not a float32 initializer`);
  return t.data as Float32Array;
}
