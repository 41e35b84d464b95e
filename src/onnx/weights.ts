/**
 * Layout conversions of weights between TF.js (channels last) and ONNX (channels first), and
 * TF's `same` padding as ONNX's explicit pads. Pure functions over flat arrays.
 */

/**
 * A Conv2D kernel from TF's HWIO `[kh, kw, in, out]` to ONNX's OIHW `[out, in, kh, kw]`.
 *
 * @example
 * const w = hwioToOihw(kernel, [3, 3, 1, 8]); // dims [8, 1, 3, 3]
 */
export function hwioToOihw(k: Float32Array, [kh, kw, ci, co]: readonly number[]): Float32Array {
  const out = new Float32Array(k.length);
  for (let y = 0; y < kh!; y++)
    for (let x = 0; x < kw!; x++)
      for (let i = 0; i < ci!; i++)
        for (let o = 0; o < co!; o++) out[((o * ci! + i) * kh! + y) * kw! + x] = k[((y * kw! + x) * ci! + i) * co! + o]!;
  return out;
}

/**
 * A DepthwiseConv2D kernel `[kh, kw, C, M]` as a grouped ONNX Conv weight `[C·M, 1, kh, kw]`
 * (group = C): TF's output channel c·M + m is ONNX's output channel c·M + m.
 *
 * @example
 * const w = depthwiseToOihw(kernel, [3, 3, 16, 1]); // dims [16, 1, 3, 3]
 */
export function depthwiseToOihw(k: Float32Array, [kh, kw, c, m]: readonly number[]): Float32Array {
  const out = new Float32Array(k.length);
  for (let y = 0; y < kh!; y++)
    for (let x = 0; x < kw!; x++)
      for (let i = 0; i < c!; i++)
        for (let j = 0; j < m!; j++) out[((i * m! + j) * kh! + y) * kw! + x] = k[((y * kw! + x) * c! + i) * m! + j]!;
  return out;
}

/**
 * A Dense kernel `[H·W·C, units]` whose rows follow TF's NHWC flatten, reordered for an input
 * flattened from NCHW (row (c·H + h)·W + w takes TF's row (h·W + w)·C + c). Permuting the
 * weights once costs nothing at inference, unlike a Transpose before Flatten.
 *
 * @example
 * const k = permuteFlattenRows(kernel, [7, 7, 32], 10);
 */
export function permuteFlattenRows(k: Float32Array, [h, w, c]: readonly number[], units: number): Float32Array {
  const out = new Float32Array(k.length);
  for (let y = 0; y < h!; y++)
    for (let x = 0; x < w!; x++)
      for (let ch = 0; ch < c!; ch++) {
        const tf = ((y * w! + x) * c! + ch) * units;
        const nc = ((ch * h! + y) * w! + x) * units;
        out.set(k.subarray(tf, tf + units), nc);
      }
  return out;
}

/**
 * ONNX pads `[top, left, bottom, right]` for TF's padding on a `size` input: `valid` pads
 * nothing; `same` gives ceil(size / stride) outputs with the odd pixel at the bottom/right,
 * as TF does (ONNX's SAME_UPPER would agree, but explicit pads are read the same everywhere).
 *
 * @example
 * tfPads('same', [28, 28], [3, 3], [2, 2]); // [0, 0, 1, 1]
 */
export function tfPads(padding: string, size: readonly number[], kernel: readonly number[], strides: readonly number[], dilations: readonly number[] = [1, 1]): number[] {
  if (padding !== 'same') return [0, 0, 0, 0];
  const before: number[] = [];
  const after: number[] = [];
  for (let d = 0; d < 2; d++) {
    const k = (kernel[d]! - 1) * dilations[d]! + 1;
    const out = Math.ceil(size[d]! / strides[d]!);
    const total = Math.max((out - 1) * strides[d]! + k - size[d]!, 0);
    before.push(Math.floor(total / 2));
    after.push(total - Math.floor(total / 2));
  }
  return [...before, ...after];
}

/**
 * A number or a pair from a tfjs-layers config as a pair.
 *
 * @example
 * pair(3); // [3, 3]
 */
export function pair(v: unknown): [number, number] {
  if (Array.isArray(v)) return [Number(v[0]), Number(v[1] ?? v[0])];
  return [Number(v), Number(v)];
}
