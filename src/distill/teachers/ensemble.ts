import * as tf from '@tensorflow/tfjs-core';
import { DistilleryError } from '../../core/errors.ts';
import type { Teacher, TeacherOutput } from '../types.ts';
import { hashParts } from './common.ts';

/**
 * Weights that sum to 1 (equal when none are given).
 *
 * @example
 * normalizeWeights([2, 1, 1], 3); // [0.5, 0.25, 0.25]
 */
export function normalizeWeights(weights: readonly number[] | undefined, n: number): number[] {
  const w = weights ?? Array.from({ length: n }, () => 1);
  const sum = w.reduce((a, b) => a + b, 0);
  return w.map((v) => v / sum);
}

/**
 * Combine member logits `[n, K]` with weights that sum to 1: `logits` gives Σ wᵢ·zᵢ; `probs`
 * gives log Σ wᵢ·softmax(zᵢ), the log of the mixture's probabilities, which acts as logits
 * (its softmax is the mixture), computed as a log-sum-exp so that confident members do not
 * underflow. Members of weight 0 are left out.
 *
 * @example
 * combineLogits([tf.tensor2d([[0, 2]]), tf.tensor2d([[2, 0]])], [0.5, 0.5], 'logits'); // [[1, 1]]
 */
export function combineLogits(logits: readonly tf.Tensor2D[], weights: readonly number[], combine: 'logits' | 'probs'): tf.Tensor2D {
  return tf.tidy(() => {
    const used = logits.map((z, i) => [z, weights[i]] as const).filter(([, w]) => w > 0);
    if (combine === 'logits') return tf.addN(used.map(([z, w]) => tf.mul(z, w))) as tf.Tensor2D;
    const stacked = tf.stack(used.map(([z, w]) => tf.add(tf.logSoftmax(z), Math.log(w))));
    return tf.logSumExp(stacked, 0) as tf.Tensor2D;
  });
}

/**
 * Several teachers as one: their logits are averaged (`combine: logits`), or their
 * probabilities (`combine: probs`, returned as log-probabilities), with weights normalised to
 * sum to 1. Features are the members' features, named `m<index>/<name>` (`m0/features`).
 * The hash covers the members' hashes, the normalised weights and the combine rule.
 *
 * @example
 * const t = ensembleTeacher([a, b], { combine: 'probs', weights: [2, 1] });
 */
export function ensembleTeacher(members: readonly Teacher[], opts: { combine: 'logits' | 'probs'; weights?: readonly number[] }, key = 'teacher'): Teacher {
  const first = members[0];
  for (const [i, m] of members.entries()) {
    if (m.numClasses !== first.numClasses) {
      throw new DistilleryError('TEACHER_CLASSES', `${key}.members[${i}]: ${m.name} outputs ${m.numClasses} classes, ${first.name} ${first.numClasses}`, 'ensemble teachers of the same classes', `${key}.members[${i}]`);
    }
  }
  const weights = normalizeWeights(opts.weights, members.length);
  const featureNames = members.flatMap((m, i) => m.featureNames.map((f) => `m${i}/${f}`));
  return {
    kind: 'ensemble',
    name: `ensemble(${members.map((m) => m.name).join(', ')})`,
    numClasses: first.numClasses,
    inputShape: first.inputShape,
    hash: hashParts(['ensemble', opts.combine, weights, ...members.map((m) => m.hash)]),
    featureNames,
    ...(members.some((m) => m.readsTexts) ? { readsTexts: true } : {}),
    async predict(x, popts): Promise<TeacherOutput> {
      const asked = popts?.features ?? [];
      for (const f of asked) {
        if (!featureNames.includes(f)) {
          throw new DistilleryError('TEACHER_FEATURE', `${key}: the ensemble has no feature '${f}' (features: ${featureNames.join(', ') || 'none'})`, "name a member's feature as m<index>/<name>", key);
        }
      }
      const outs = await Promise.all(
        members.map((m, i) => {
          const own = asked.filter((f) => f.startsWith(`m${i}/`)).map((f) => f.slice(`m${i}/`.length));
          return m.predict(x, { ...(own.length > 0 ? { features: own } : {}), ...(popts?.texts ? { texts: popts.texts } : {}) });
        }),
      );
      const logits = combineLogits(outs.map((o) => o.logits), weights, opts.combine);
      const features: Record<string, tf.Tensor> = {};
      outs.forEach((o, i) => {
        o.logits.dispose();
        for (const [k, v] of Object.entries(o.features ?? {})) features[`m${i}/${k}`] = v;
      });
      return asked.length > 0 ? { logits, features } : { logits };
    },
    dispose() {
      for (const m of members) m.dispose();
    },
  };
}
