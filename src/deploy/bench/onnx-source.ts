import type * as tfl from '@tensorflow/tfjs-layers';
import { resolveSpec, type ModelSpec, type ResolvedModelSpec } from '../../models/index.ts';
import { decodeOnnx, exportOnnx } from '../../onnx/index.ts';

/**
 * A TF.js model as fp32 ONNX bytes, in memory, as `distillery export --format onnx` writes it:
 * what `bench --runtime onnx` times for a model folder.
 *
 * @example
 * const r = await onnxRunner(await onnxBytesOf(model), 'student.onnx', 1);
 */
export function onnxBytesOf(model: tfl.LayersModel): Promise<Uint8Array> {
  return exportOnnx(model);
}

/**
 * The spec distillery's ONNX export stores in `metadata_props` (`distillery.spec`), or
 * undefined for a file from elsewhere (or bytes that are not ONNX: opening them reports that).
 *
 * @example
 * onnxSpecOf(readFileSync('student.onnx'))?.blocks.length; // 4
 */
export function onnxSpecOf(bytes: Uint8Array): ResolvedModelSpec | undefined {
  try {
    const entry = decodeOnnx(bytes).metadataProps.find((p) => p.key === 'distillery.spec');
    return entry?.value ? resolveSpec(JSON.parse(entry.value) as ModelSpec) : undefined;
  } catch {
    return undefined;
  }
}
