import { attr, consumers, floatData, producers, pruneDead, type IrGraph, type IrNode } from './ir.ts';

/**
 * Rewrites the literal graph of `convertModel` into the usual inference graph:
 * BatchNormalization folded into the Conv/Gemm before it, Mul+Add+Clip(0, 1) (how hsigmoid is
 * built from stock tfjs layers) as one HardSigmoid, and x · HardSigmoid(x) with MobileNetV3's
 * constants as HardSwish. Each rewrite leaves the function computed unchanged up to float
 * rounding. Returns the same graph, changed in place.
 *
 * @example
 * const g = optimizeGraph(convertModel(model));
 * g.nodes.some((n) => n.op === 'BatchNormalization'); // false for every distillery spec
 */
export function optimizeGraph(g: IrGraph): IrGraph {
  foldBatchNorms(g);
  fuseHardSigmoid(g);
  fuseHardSwish(g);
  pruneDead(g);
  return g;
}

function scalar(g: IrGraph, name: string | undefined): number | undefined {
  const t = name === undefined ? undefined : g.inits.get(name);
  return t && t.type === 'float32' && t.data.length === 1 ? (t.data as Float32Array)[0] : undefined;
}

/** The node writing `t` if it has exactly one reader (so rewriting it changes nothing else). */
function soleProducer(t: string, uses: Map<string, number[]>, prod: Map<string, IrNode>): IrNode | undefined {
  return uses.get(t)?.length === 1 ? prod.get(t) : undefined;
}

function foldBatchNorms(g: IrGraph): void {
  const uses = consumers(g);
  const prod = producers(g);
  for (const bn of g.nodes) {
    if (bn.op !== 'BatchNormalization') continue;
    const src = soleProducer(bn.inputs[0]!, uses, prod);
    if (!src || (src.op !== 'Conv' && src.op !== 'Gemm') || !g.inits.has(src.inputs[1]!)) continue;
    const [gamma, beta, mean, variance] = bn.inputs.slice(1).map((n) => floatData(g, n)) as [Float32Array, Float32Array, Float32Array, Float32Array];
    const eps = 'f' in bn.attrs['epsilon']! ? bn.attrs['epsilon'].f : 1e-5;
    const c = gamma.length;
    // float64 for the per-channel factor: folding should not add rounding beyond one multiply
    const s = Float64Array.from(gamma, (v, i) => v / Math.sqrt(variance[i]! + eps));
    const w = floatData(g, src.inputs[1]!);
    if (src.op === 'Conv') {
      const per = w.length / c; // OIHW: output channel first
      for (let o = 0; o < c; o++) for (let k = 0; k < per; k++) w[o * per + k] = w[o * per + k]! * s[o]!;
    } else {
      for (let k = 0; k < w.length; k++) w[k] = w[k]! * s[k % c]!; // [in, units]: unit last
    }
    const old = src.inputs[2] !== undefined ? floatData(g, src.inputs[2]) : new Float32Array(c);
    const bias = Float32Array.from(old, (b, o) => (b - mean[o]!) * s[o]! + beta[o]!);
    const name = `${src.name}_folded_b`;
    g.inits.set(name, { name, type: 'float32', dims: [c], data: bias });
    src.inputs[2] = name;
    // the conv now writes what the BN wrote; the BN becomes dead
    src.outputs[0] = bn.outputs[0]!;
    bn.outputs[0] = `${bn.outputs[0]}_dead`;
  }
  pruneDead(g);
}

function fuseHardSigmoid(g: IrGraph): void {
  const uses = consumers(g);
  const prod = producers(g);
  for (const clip of g.nodes) {
    if (clip.op !== 'Clip' || scalar(g, clip.inputs[1]) !== 0 || scalar(g, clip.inputs[2]) !== 1) continue;
    const add = soleProducer(clip.inputs[0]!, uses, prod);
    if (add?.op !== 'Add') continue;
    const beta = scalar(g, add.inputs[1]);
    const mul = soleProducer(add.inputs[0]!, uses, prod);
    if (beta === undefined || mul?.op !== 'Mul') continue;
    const alpha = scalar(g, mul.inputs[1]);
    if (alpha === undefined) continue;
    clip.op = 'HardSigmoid';
    clip.inputs = [mul.inputs[0]!];
    clip.attrs = { alpha: attr.f(alpha), beta: attr.f(beta) };
  }
  pruneDead(g);
}

function fuseHardSwish(g: IrGraph): void {
  const uses = consumers(g);
  const prod = producers(g);
  for (const mul of g.nodes) {
    if (mul.op !== 'Mul') continue;
    for (const [a, b] of [[0, 1], [1, 0]] as const) {
      const hs = soleProducer(mul.inputs[b]!, uses, prod);
      if (hs?.op !== 'HardSigmoid' || hs.inputs[0] !== mul.inputs[a]) continue;
      const alpha = 'f' in hs.attrs['alpha']! ? hs.attrs['alpha'].f : NaN;
      const beta = 'f' in hs.attrs['beta']! ? hs.attrs['beta'].f : NaN;
      // HardSwish is x · max(0, min(1, x/6 + 1/2)) exactly (opset 14)
      if (Math.abs(alpha - 1 / 6) > 1e-7 || beta !== 0.5) continue;
      mul.op = 'HardSwish';
      mul.inputs = [mul.inputs[a]!];
      break;
    }
  }
  pruneDead(g);
}
