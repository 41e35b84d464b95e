import { attr, type IrGraph, type IrNode } from './ir.ts';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * IEEE 754 binary16 bits of a float32, rounded to nearest even (as numpy's `astype(float16)`,
 * which the TF.js converter uses). Overflow gives ±Infinity; NaN stays NaN.
 *
 * @example
 * float16Bits(1); // 0x3c00
 * float16Bits(-2); // 0xc000
 */
export function float16Bits(v: number): number {
  f32[0] = v;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal half (or zero): shift the mantissa with its implicit 1 into the 10 bits.
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && (half & 1) === 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (up to Infinity).
  if (rem > 0x1000 || (rem === 0x1000 && (half & 1) === 1)) half++;
  return sign | half;
}

/**
 * The float32 value of float16 bits.
 *
 * @example
 * float16Value(0x3555); // 0.333251953125
 */
export function float16Value(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 0x1f) return m ? NaN : sign * Infinity;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

/** Inputs that hold weights: Conv W and B, Gemm B and C. */
function weightInputs(n: IrNode): string[] {
  return n.op === 'Conv' || n.op === 'Gemm' ? n.inputs.slice(1) : [];
}

/**
 * Stores the weights and biases of every Conv and Gemm as float16, each followed by a Cast back
 * to float32: half the bytes on disk, float32 arithmetic at run time (onnxruntime folds the
 * Casts when the session starts; its CPU provider has float16 kernels for only some ops on
 * some CPUs, so float16 compute would be slower or fail). Small constants stay float32.
 *
 * @example
 * const half = toFloat16(onnxGraph(model));
 */
export function toFloat16(g: IrGraph): IrGraph {
  const done = new Map<string, string>();
  const casts: IrNode[] = [];
  for (const n of g.nodes) {
    const ws = new Set(weightInputs(n));
    n.inputs = n.inputs.map((t) => {
      if (!ws.has(t)) return t;
      const init = g.inits.get(t);
      if (!init || init.type !== 'float32') return t;
      let cast = done.get(t);
      if (!cast) {
        const half = `${t}_fp16`;
        const src = init.data as Float32Array;
        g.inits.set(half, { name: half, type: 'float16', dims: init.dims, data: Uint16Array.from(src, float16Bits) });
        g.inits.delete(t);
        cast = `${t}_fp32`;
        // Cast to=1 is FLOAT
        casts.push({ name: `${t}_cast`, op: 'Cast', inputs: [half], outputs: [cast], attrs: { to: attr.i(1) } });
        done.set(t, cast);
      }
      return cast;
    });
  }
  g.nodes = [...casts, ...g.nodes];
  return g;
}
