import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { METADATA_KEY, modelCost } from '../../models/index.ts';
import type { ModelSpec } from '../../models/index.ts';
import type { TeacherConfig } from './config.ts';

/** A teacher's size as far as its files tell: every field may be unknown. */
export interface TeacherCost {
  params?: number;
  macs?: number;
  bytes?: { fp32: number; fp16?: number; int8?: number };
}

/**
 * The size of the teacher a `teacher:` section names, for the side-by-side table: a TF.js
 * model saved by distillery gives params, MACs and bytes (from its stored spec); any other
 * TF.js model its parameter count (from the weights manifest); an ONNX file the parameter count
 * of its float initializers; an ensemble the sum of its members. What is unknown is left out.
 *
 * @example
 * teacherCost({ type: 'onnx', path: 'examples/teachers/mnist-cnn.onnx' }, '.', [28, 28, 1], 10); // { params: 105866, bytes: { fp32: 423464 } }
 */
export function teacherCost(config: TeacherConfig, baseDir: string, dataShape: readonly number[], numClasses: number): TeacherCost {
  const at = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  try {
    if (config.type === 'tfjs') return tfjsCost(at(config.path), dataShape, numClasses);
    if (config.type === 'onnx') return paramsOnly(onnxParams(readFileSync(at(config.path))));
    const parts = config.members.map((m) => teacherCost(m, baseDir, dataShape, numClasses));
    const sum = (k: 'params' | 'macs') => (parts.every((p) => p[k] !== undefined) ? parts.reduce((a, p) => a + p[k]!, 0) : undefined);
    const params = sum('params');
    const macs = sum('macs');
    const fp32 = parts.every((p) => p.bytes) ? parts.reduce((a, p) => a + p.bytes!.fp32, 0) : undefined;
    return { ...(params !== undefined ? { params } : {}), ...(macs !== undefined ? { macs } : {}), ...(fp32 !== undefined ? { bytes: { fp32 } } : {}) };
  } catch {
    // Sizes are a courtesy of the report: a file the loader accepted but this reader does not
    // understand shows '-' rather than failing a finished run.
    return {};
  }
}

function paramsOnly(params: number | undefined): TeacherCost {
  return params === undefined ? {} : { params, bytes: { fp32: params * 4 } };
}

function tfjsCost(path: string, dataShape: readonly number[], numClasses: number): TeacherCost {
  const file = existsSync(path) && statSync(path).isDirectory() ? join(path, 'model.json') : path;
  const json = JSON.parse(readFileSync(file, 'utf8')) as {
    userDefinedMetadata?: Record<string, { spec?: ModelSpec }>;
    weightsManifest?: { weights: { shape: number[] }[] }[];
  };
  const spec = json.userDefinedMetadata?.[METADATA_KEY]?.spec;
  if (spec) {
    const c = modelCost(spec, spec.input ? undefined : dataShape, numClasses);
    return { params: c.params, macs: c.macs, bytes: c.bytes };
  }
  const params = (json.weightsManifest ?? []).flatMap((g) => g.weights).reduce((a, w) => a + w.shape.reduce((x, y) => x * y, 1), 0);
  return paramsOnly(params);
}

// ONNX is protobuf: ModelProto.graph = field 7; GraphProto.initializer = field 5 (TensorProto);
// TensorProto.dims = field 1 (int64, packed or not), data_type = field 2.
const FLOAT_TYPES = new Set([1, 10, 11, 16]); // FLOAT, FLOAT16, DOUBLE, BFLOAT16

/**
 * The number of values in an ONNX model's floating-point initializers (its weights), or
 * undefined when the bytes are not a model this reader understands.
 *
 * @example
 * onnxParams(readFileSync('mnist-cnn.onnx')); // 206922
 */
export function onnxParams(bytes: Uint8Array): number | undefined {
  let total = 0;
  let found = false;
  for (const [field, graph] of fields(bytes, 0, bytes.length)) {
    if (field !== 7 || !(graph instanceof Uint8Array)) continue;
    for (const [f, tensor] of fields(graph, 0, graph.length)) {
      if (f !== 5 || !(tensor instanceof Uint8Array)) continue;
      const dims: number[] = [];
      let type = 0;
      for (const [tf, v] of fields(tensor, 0, tensor.length)) {
        if (tf === 1) {
          if (typeof v === 'number') dims.push(v);
          else for (let p = 0; p < v.length; ) p = varint(v, p, (n) => dims.push(n));
        } else if (tf === 2 && typeof v === 'number') type = v;
      }
      if (FLOAT_TYPES.has(type)) total += dims.reduce((a, b) => a * b, 1);
      found = true;
    }
  }
  return found ? total : undefined;
}

function varint(b: Uint8Array, p: number, out: (n: number) => void): number {
  let n = 0;
  let mul = 1;
  for (;;) {
    if (p >= b.length) throw new Error('truncated varint');
    const byte = b[p++]!;
    n += (byte & 0x7f) * mul;
    mul *= 128;
    if ((byte & 0x80) === 0) break;
  }
  out(n);
  return p;
}

/** The top-level fields of one protobuf message: varints as numbers, length-delimited as bytes. */
function* fields(b: Uint8Array, start: number, end: number): Generator<[number, number | Uint8Array]> {
  let p = start;
  while (p < end) {
    let key = 0;
    p = varint(b, p, (n) => (key = n));
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (wire === 0) {
      let v = 0;
      p = varint(b, p, (n) => (v = n));
      yield [field, v];
    } else if (wire === 2) {
      let len = 0;
      p = varint(b, p, (n) => (len = n));
      if (p + len > end) throw new Error('truncated field');
      yield [field, b.subarray(p, p + len)];
      p += len;
    } else if (wire === 1) p += 8;
    else if (wire === 5) p += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
}
