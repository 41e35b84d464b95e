import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { DistilleryError } from '../core/errors.ts';
import { buildModel } from '../models/build.ts';
import type { ModelSpec } from '../models/spec.ts';

/**
 * Zero-cost proxies: scores of an untrained network that correlate with its trained accuracy,
 * to pre-rank a large sample so that only the most promising candidates are trained. Both
 * scores are logarithms (larger is better), so that they stay finite and comparable.
 */

/**
 * NASWOT (Mellor et al. 2021): over a minibatch `x` at initialisation, each sample's binary
 * code says which units are on (pre-activation > 0, at every activation layer); the kernel
 * K[i][j] = number of units on which samples i and j agree; the score is log|det K|. Networks
 * that separate the inputs well give codes far apart and a large determinant. -Infinity when
 * two samples share a code (K singular).
 *
 * @example
 * const s = naswot(buildModel(spec, { inputShape: [28, 28, 1], numClasses: 10 }), tf.tensor4d(x, [32, 28, 28, 1]));
 */
export function naswot(model: tfl.LayersModel, x: tf.Tensor): number {
  // Codes come from standalone activation layers (their input > 0) and from activations the
  // builder fused into Conv2D/Dense (no batch norm): there the output is on exactly when the
  // pre-activation is > 0 (> 0.5 for sigmoid), so the output gives the same code.
  const taps: { t: tfl.SymbolicTensor; at: number }[] = [];
  const last = model.layers.at(-1);
  for (const l of model.layers) {
    if (l.getClassName() === 'Activation' || l.getClassName() === 'ReLU') taps.push({ t: l.input as tfl.SymbolicTensor, at: 0 });
    else if (l !== last) {
      const act = (l.getConfig() as { activation?: unknown }).activation;
      const at = typeof act === 'string' ? FUSED_THRESHOLD[act] : undefined;
      if (at !== undefined) taps.push({ t: l.output as tfl.SymbolicTensor, at });
    }
  }
  const pre = taps.map((p) => p.t);
  if (pre.length === 0) {
    throw new DistilleryError('PROXY_NO_ACTIVATIONS', `model '${model.name}' has no activation layers, so NASWOT has no codes to compare`, 'give its blocks a non-linear activation, or use synflow');
  }
  const probe = tfl.model({ inputs: model.inputs, outputs: pre });
  const b = x.shape[0]!;
  const k = tf.tidy(() => {
    const outs = probe.predict(x) as tf.Tensor | tf.Tensor[];
    const codes = (Array.isArray(outs) ? outs : [outs]).map((o, i) => tf.cast(tf.greater(tf.reshape(o, [b, -1]), taps[i]!.at), 'float32'));
    const c = tf.concat(codes, 1);
    const off = tf.sub(1, c);
    return tf.add(tf.matMul(c, c, false, true), tf.matMul(off, off, false, true));
  });
  const kernel = Float64Array.from(k.dataSync());
  k.dispose();
  return logAbsDet(kernel, b);
}

/** Fused activations whose output is above this value exactly when their input is > 0. */
const FUSED_THRESHOLD: Record<string, number> = { relu: 0, relu6: 0, elu: 0, selu: 0, swish: 0, tanh: 0, sigmoid: 0.5 };

/** log|det A| of a row-major n×n matrix by LU with partial pivoting, in float64. */
export function logAbsDet(a: Float64Array, n: number): number {
  const m = Float64Array.from(a);
  let log = 0;
  for (let col = 0; col < n; col++) {
    let p = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r * n + col]!) > Math.abs(m[p * n + col]!)) p = r;
    const pivot = m[p * n + col]!;
    if (pivot === 0 || !Number.isFinite(pivot)) return -Infinity;
    if (p !== col) {
      for (let j = 0; j < n; j++) {
        const t = m[p * n + j]!;
        m[p * n + j] = m[col * n + j]!;
        m[col * n + j] = t;
      }
    }
    log += Math.log(Math.abs(pivot));
    for (let r = col + 1; r < n; r++) {
      const f = m[r * n + col]! / pivot;
      if (f === 0) continue;
      for (let j = col; j < n; j++) m[r * n + j]! -= f * m[col * n + j]!;
    }
  }
  return log;
}

/**
 * Synflow (Tanaka et al. 2020), as a natural logarithm: with every weight replaced by its
 * absolute value and an all-ones input, R = sum of the outputs and the score is
 * Σ over parameters |θ ⊙ ∂R/∂θ|. The model's weights are restored afterwards.
 *
 * Float32 care: R is a product over layers and overflows float32 in deep or wide nets. When it
 * does, each kernel is divided by m_l, the mean over its output units of the summed |w| feeding
 * each (so that every layer maps an all-ones signal to about ones), the score is recomputed,
 * and Σ log m_l is added back: exact for bias-free, positively homogeneous (ReLU-like)
 * networks, where every layer's share of the score scales by the same Π m_l; an approximation
 * when biases or BN shifts matter. Sums are accumulated in float64. `rescale: 'always'` forces
 * the rescaled path (to check it).
 *
 * @example
 * synflow(buildModel(wideSpec, opts)) > synflow(buildModel(narrowSpec, opts)); // usually
 */
export function synflow(model: tfl.LayersModel, opts: { rescale?: 'auto' | 'always' } = {}): number {
  const weights = model.trainableWeights;
  const originals = weights.map((w) => tf.clone(w.read()));
  try {
    if (opts.rescale === 'always') return synflowOnce(model, originals, true);
    const first = synflowOnce(model, originals, false);
    return Number.isFinite(first) ? first : synflowOnce(model, originals, true);
  } finally {
    weights.forEach((w, i) => w.write(originals[i]!));
    originals.forEach((t) => t.dispose());
  }
}

function synflowOnce(model: tfl.LayersModel, originals: tf.Tensor[], rescale: boolean): number {
  const weights = model.trainableWeights;
  let logScale = 0;
  originals.forEach((t, i) => {
    const abs = tf.tidy(() => {
      const a = tf.abs(t);
      if (!rescale || t.rank < 2) return a;
      // The mean over output units of the sum of |w| feeding each: the factor by which this
      // layer multiplies an all-ones signal. Dividing it out keeps every layer's output near 1.
      const outs = weights[i]!.name.includes('depthwise') ? t.shape[t.rank - 1]! * t.shape[t.rank - 2]! : t.shape[t.rank - 1]!;
      const m = tf.sum(a).dataSync()[0]! / outs;
      if (!(m > 0) || !Number.isFinite(m)) return a;
      logScale += Math.log(m);
      return tf.div(a, m);
    });
    weights[i]!.write(abs);
    abs.dispose();
  });
  const shape = model.inputs[0]!.shape.map((d) => d ?? 1);
  const vars = weights.map((w) => w.read() as tf.Variable);
  const { value, grads } = tf.variableGrads(() => tf.sum(model.apply(tf.ones(shape), { training: false }) as tf.Tensor) as tf.Scalar, vars);
  let total = 0;
  for (const v of vars) {
    const g = grads[v.name];
    if (!g) continue;
    const part = tf.tidy(() => tf.sum(tf.abs(tf.mul(v, g))));
    total += part.dataSync()[0]!;
    part.dispose();
  }
  value.dispose();
  Object.values(grads).forEach((g) => g.dispose());
  return Math.log(total) + logScale;
}

/** Which proxy to compute. */
export type ProxyName = 'naswot' | 'synflow';

/**
 * A proxy as a function of a model spec: builds the model (seeded), scores it, frees it.
 * NASWOT needs a minibatch `x` of the data.
 *
 * @example
 * const score = specProxy('naswot', { inputShape: [28, 28, 1], numClasses: 10, x: batch });
 * const ranked = await preRank(specs, score, 10);
 */
export function specProxy(name: ProxyName, opts: { inputShape: readonly number[]; numClasses: number; seed?: number; x?: tf.Tensor }): (spec: ModelSpec) => number {
  return (spec) => {
    const model = buildModel(spec, { inputShape: opts.inputShape, numClasses: opts.numClasses, seed: opts.seed ?? 0 });
    try {
      if (name === 'synflow') return synflow(model);
      if (!opts.x) throw new DistilleryError('PROXY_NO_DATA', 'NASWOT needs a minibatch of inputs', 'pass x: a batch of 16-64 training samples');
      return naswot(model, opts.x);
    } finally {
      model.dispose();
    }
  };
}

/**
 * Scores every item with a proxy and keeps the best `k` (largest score first; NaN last).
 *
 * @example
 * const top = await preRank(candidates, (c) => score(materialize(space, c).model!), 8);
 */
export async function preRank<T>(items: readonly T[], proxy: (item: T) => number | Promise<number>, k: number): Promise<{ item: T; score: number }[]> {
  const scored: { item: T; score: number }[] = [];
  for (const item of items) scored.push({ item, score: await proxy(item) });
  const key = (s: number) => (Number.isNaN(s) ? -Infinity : s);
  return scored
    .map((s, i) => ({ s, i }))
    .sort((a, b) => key(b.s.score) - key(a.s.score) || a.i - b.i)
    .slice(0, Math.max(0, k))
    .map((x) => x.s);
}
