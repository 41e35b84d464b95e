import * as tf from '@tensorflow/tfjs-core';
import { DistilleryError } from '../../core/errors.ts';
import type { NormalizeConfig } from '../../data/config.ts';
import type { Dataset } from '../../data/dataset.ts';
import { sampleSize } from '../../data/dataset.ts';
import { fitNormalization } from '../../data/load.ts';
import type { Normalization } from '../../data/normalize.ts';

/**
 * A per-value affine map `x ↦ x · scale + shift`, over one sample's values (length 1: the
 * same for every value; else one per value of the sample, sample-major like the data).
 */
export interface Affine {
  readonly scale: Float32Array;
  readonly shift: Float32Array;
  /** True when the map changes nothing (the teacher wants what the student gets). */
  readonly identity: boolean;
}

/** One stat per value of a sample, by the rule of `applyStats`: L = 1, channels, or features. */
function expand(stats: readonly number[], shape: readonly number[], where: string): Float64Array {
  const d = shape.reduce((a, b) => a * b, 1);
  const C = shape[shape.length - 1] ?? 1;
  const L = stats.length;
  if (L !== 1 && L !== C && L !== d) {
    throw new DistilleryError('TEACHER_NORMALIZE', `${where}: ${L} statistics do not fit samples of shape [${shape.join(', ')}]`, `give 1 value, ${C} (one per channel) or ${d} (one per feature)`, where);
  }
  const out = new Float64Array(d);
  for (let f = 0; f < d; f++) out[f] = stats[L === 1 ? 0 : L === C ? f % C : f];
  return out;
}

/**
 * The map from the student's normalised values to the teacher's: with `raw = xs · ss + ms`
 * (the student's stats) and `xt = (raw − mt) / st` (the teacher's), `xt = xs · ss/st + (ms − mt)/st`.
 * Collapses to one scale and shift when every value shares them.
 *
 * @example
 * // student: scale (x/255); teacher: MNIST's (x/255 − 0.1307)/0.3081 on raw 0..255 values
 * const a = affineBetween({ kind: 'scale', mean: [0], std: [255] }, { kind: 'explicit', mean: [33.3285], std: [78.5655] }, [28, 28, 1]);
 * a.scale[0]; // 255 / 78.5655 ≈ 3.2457; a.shift[0] ≈ −0.4242
 */
export function affineBetween(student: Normalization, teacher: Normalization, shape: readonly number[], where = 'teacher.normalize'): Affine {
  const ms = expand(student.mean, shape, 'data.normalize');
  const ss = expand(student.std, shape, 'data.normalize');
  const mt = expand(teacher.mean, shape, where);
  const st = expand(teacher.std, shape, where);
  const d = ms.length;
  const scale = new Float32Array(d);
  const shift = new Float32Array(d);
  let identity = true;
  let uniform = true;
  for (let f = 0; f < d; f++) {
    scale[f] = ss[f] / st[f];
    shift[f] = (ms[f] - mt[f]) / st[f];
    if (Math.abs(scale[f] - 1) > 1e-7 || Math.abs(shift[f]) > 1e-7) identity = false;
    if (scale[f] !== scale[0] || shift[f] !== shift[0]) uniform = false;
  }
  if (uniform) return { scale: scale.slice(0, 1), shift: shift.slice(0, 1), identity };
  return { scale, shift, identity };
}

/**
 * Apply an {@link Affine} to a batch `[n, ...shape]` (a new tensor; the input is the caller's).
 *
 * @example
 * const xt = applyAffine(batch, affine); // batch itself when affine.identity
 */
export function applyAffine(x: tf.Tensor, a: Affine): tf.Tensor {
  if (a.identity) return x;
  return tf.tidy(() => {
    if (a.scale.length === 1) return tf.add(tf.mul(x, a.scale[0]), a.shift[0]);
    const shape = [1, ...x.shape.slice(1)];
    return tf.add(tf.mul(x, tf.tensor(a.scale, shape)), tf.tensor(a.shift, shape));
  });
}

/** What {@link resolveTeacherNormalization} needs to know about the data. */
export interface TeacherDataContext {
  /** The data set's sample shape. */
  readonly dataShape: readonly number[];
  /** The student's normalisation (what the data stage applied). */
  readonly normalization: Normalization;
  /** The student's (normalised) training set: needed only for a teacher `normalize` of `scale` or `standardize`. */
  readonly train?: Dataset;
}

/**
 * The teacher's normalisation relative to raw values. `{mean, std}` needs no data; `scale` and
 * `standardize` are fitted on the raw training values, recovered from the student's
 * normalised training set by inverting the student's normalisation (one pass).
 *
 * @example
 * resolveTeacherNormalization({ mean: 33.3285, std: 78.5655 }, ctx); // { kind: 'explicit', mean: [33.3285], std: [78.5655] }
 */
export function resolveTeacherNormalization(how: NormalizeConfig, ctx: TeacherDataContext, where = 'teacher.normalize'): Normalization {
  if (how === 'none' || (typeof how === 'object' && 'mean' in how)) return fitNormalization(emptyLike(ctx.dataShape), how);
  if (!ctx.train) {
    throw new DistilleryError('TEACHER_NORMALIZE', `${where}: '${JSON.stringify(how)}' needs the training set's raw statistics, and no training set was given`, 'give explicit stats ({ mean, std } on the raw scale), or pass `train` to loadTeacher', where);
  }
  return fitNormalization(rawOf(ctx.train, ctx.normalization), how);
}

function emptyLike(shape: readonly number[]): Dataset {
  return { x: new Float32Array(0), y: new Int32Array(0), shape, numClasses: 2, classNames: [] };
}

/** The raw values of a normalised set (itself when the normalisation is `none`). */
function rawOf(ds: Dataset, stats: Normalization): Dataset {
  if (stats.kind === 'none') return ds;
  const d = sampleSize(ds);
  const m = expand(stats.mean, ds.shape, 'data.normalize');
  const s = expand(stats.std, ds.shape, 'data.normalize');
  const x = new Float32Array(ds.x.length);
  for (let i = 0; i < x.length; ) for (let f = 0; f < d; f++, i++) x[i] = ds.x[i] * s[f] + m[f];
  return { ...ds, x };
}
