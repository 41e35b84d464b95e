/**
 * Weight quantization in the TF.js converter's format: the bytes and the `quantization` entry of
 * a weights-manifest entry that stock `tf.io.decodeWeights` (and so `tf.loadLayersModel`, in a
 * browser or in Node) turns back into float32 values.
 */

import { float16Bits } from '../../onnx/fp16.ts';

/** The manifest entry TF.js reads: `value = q * scale + min` for uint8; plain IEEE half for float16. */
export interface WeightQuantization {
  dtype: 'float16' | 'uint8';
  scale?: number;
  min?: number;
  original_dtype: 'float32';
}

/** Quantized bytes of one tensor and the manifest entry that dequantizes them. */
export interface QuantizedWeight {
  bytes: Uint8Array;
  quantization: WeightQuantization;
}

/**
 * float32 values as little-endian float16 (2 bytes each).
 *
 * @example
 * const { bytes, quantization } = quantizeFloat16(new Float32Array([0.5, -1]));
 * bytes.length; // 4
 */
export function quantizeFloat16(values: Float32Array): QuantizedWeight {
  const bytes = new Uint8Array(values.length * 2);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setUint16(2 * i, float16Bits(values[i]!), true);
  return { bytes, quantization: { dtype: 'float16', original_dtype: 'float32' } };
}

/**
 * The affine uint8 grid of a tensor: `scale = (max - min) / 255`, with `min` nudged onto the grid
 * so that 0 is represented exactly when the range holds it (the TF.js converter's rule: zero
 * padding, pruned and ReLU-sparse weights must stay exactly zero after dequantization).
 *
 * @example
 * uint8Range(-1, 1); // { min: -1.0039..., scale: 0.00784... } with round(-min / scale) = 128
 */
export function uint8Range(lo: number, hi: number): { min: number; scale: number } {
  const scale = (hi - lo) / 255;
  // A constant tensor: any scale works, q = 0 decodes to min exactly.
  if (!(scale > 0)) return { min: lo, scale: 1 };
  if (lo <= 0 && hi >= 0) return { min: -Math.round(-lo / scale) * scale, scale };
  return { min: lo, scale };
}

/**
 * float32 values as uint8 codes on one affine grid per tensor (`value ≈ q * scale + min`). The
 * largest dequantization error is scale / 2, except where the zero nudge clips the top or bottom
 * of the range (by at most scale / 2 more).
 *
 * @example
 * const { bytes, quantization } = quantizeUint8(kernel);
 * quantization; // { dtype: 'uint8', scale: 0.0031, min: -0.41, original_dtype: 'float32' }
 */
export function quantizeUint8(values: Float32Array): QuantizedWeight {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (values.length === 0) lo = hi = 0;
  const { min, scale } = uint8Range(lo, hi);
  const bytes = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const q = Math.round((values[i]! - min) / scale);
    bytes[i] = q < 0 ? 0 : q > 255 ? 255 : q;
  }
  return { bytes, quantization: { dtype: 'uint8', scale, min, original_dtype: 'float32' } };
}
