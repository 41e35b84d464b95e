import onnxProto from 'onnx-proto';
import type { AttrValue, ElemType, Initializer, IrGraph, IrValue } from './ir.ts';

const { onnx } = onnxProto;

/**
 * The opset distillery writes: 17 is the newest that Debian's onnx 1.12 checker knows, and it
 * has HardSwish (14) and QuantizeLinear with per-axis scales (13).
 *
 * @example
 * decodeOnnx(bytes).opsetImport[0].version; // 17
 */
export const ONNX_OPSET = 17;
/** IR version 8 goes with opset 17 (ONNX 1.12). */
export const ONNX_IR_VERSION = 8;

const DT = onnx.TensorProto.DataType;
const elem: Record<ElemType, number> = {
  float32: DT.FLOAT,
  float16: DT.FLOAT16,
  int8: DT.INT8,
  uint8: DT.UINT8,
  int32: DT.INT32,
  int64: DT.INT64,
};

function tensor(t: Initializer): InstanceType<typeof onnx.TensorProto> {
  // raw_data is little-endian; typed arrays are in host order, which is little-endian on
  // every platform onnxruntime-node ships for.
  const raw = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  return onnx.TensorProto.create({ name: t.name, dataType: elem[t.type], dims: t.dims, rawData: raw });
}

function attribute(name: string, v: AttrValue): InstanceType<typeof onnx.AttributeProto> {
  const A = onnx.AttributeProto.AttributeType;
  if ('i' in v) return onnx.AttributeProto.create({ name, type: A.INT, i: v.i });
  if ('f' in v) return onnx.AttributeProto.create({ name, type: A.FLOAT, f: v.f });
  if ('ints' in v) return onnx.AttributeProto.create({ name, type: A.INTS, ints: v.ints });
  if ('floats' in v) return onnx.AttributeProto.create({ name, type: A.FLOATS, floats: v.floats });
  return onnx.AttributeProto.create({ name, type: A.STRING, s: new TextEncoder().encode(v.s) });
}

function valueInfo(v: IrValue | { name: string; dims?: undefined }): InstanceType<typeof onnx.ValueInfoProto> {
  const shape = v.dims === undefined ? undefined : { dim: [{ dimParam: 'batch' }, ...v.dims.map((d) => ({ dimValue: d }))] };
  return onnx.ValueInfoProto.create({
    name: v.name,
    type: { tensorType: { elemType: 'type' in v && v.type === 'int32' ? DT.INT32 : DT.FLOAT, ...(shape ? { shape } : {}) } },
  });
}

/**
 * Serialises a graph as an ONNX model (opset {@link ONNX_OPSET}, IR {@link ONNX_IR_VERSION}).
 *
 * @example
 * writeFileSync('model.onnx', encodeOnnx(graph));
 */
export function encodeOnnx(g: IrGraph, producerVersion = '0'): Uint8Array {
  const graph = onnx.GraphProto.create({
    name: g.name,
    node: g.nodes.map((n) =>
      onnx.NodeProto.create({
        name: n.name,
        opType: n.op,
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attrs).map(([k, v]) => attribute(k, v)),
      }),
    ),
    initializer: [...g.inits.values()].map(tensor),
    input: [valueInfo(g.input)],
    output: [valueInfo(g.output), ...(g.extraOutputs ?? []).map((name) => valueInfo({ name }))],
  });
  const model = onnx.ModelProto.create({
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    producerName: 'distillery',
    producerVersion,
    graph,
    metadataProps: Object.entries(g.metadata).map(([key, value]) => ({ key, value })),
  });
  return onnx.ModelProto.encode(model).finish();
}

/**
 * Decodes ONNX bytes (for tests and for reading an export's metadata back).
 *
 * @example
 * const m = decodeOnnx(readFileSync('model.onnx'));
 * m.graph.node.map((n) => n.opType); // ['Conv', 'Relu', ...]
 */
export function decodeOnnx(bytes: Uint8Array): InstanceType<typeof onnx.ModelProto> {
  return onnx.ModelProto.decode(bytes);
}
