import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { DistilleryError } from '../core/errors.ts';
import type { Dataset } from '../data/index.ts';
import { sampleSize, size } from '../data/index.ts';
import { attentionMaps, attentionSources, blockOutputNames, tokenMask, transformerBlocks } from '../models/index.ts';
import type { AttentionSource } from '../models/index.ts';
import type { FitOptions, LossFn, StepBatch } from '../train/index.ts';
import { featureView, resolveInputShape, softmaxCrossEntropy } from '../train/index.ts';
import { gatherRows } from './cache.ts';
import type { LossContext, Teacher, TeacherOutput } from './types.ts';

/** What the distillation wiring needs of a configured loss (the value `createLoss` returns). */
export interface DistillLoss {
  compute(ctx: LossContext): tf.Scalar;
  readonly needsTeacher: boolean;
  readonly features: { readonly student: readonly string[]; readonly teacher: readonly string[] };
  /** Trainable variables of the terms (e.g. hint adapters); may grow at the first compute. */
  readonly variables: readonly tf.Variable[];
  /** True when `layers: uniform` terms were not expanded (see `createLoss`'s `layers`). */
  readonly mapsLayers?: boolean;
}

/** Inputs of {@link distillHooks}. */
export interface DistillHooksOptions {
  loss: DistillLoss;
  student: LayersModel;
  teacher?: Teacher | undefined;
  /**
   * The teacher's logits over the whole training set, `n × classes` in data-set order (from the
   * logit cache). Absent: the teacher runs online on each (augmented) batch.
   */
  cachedLogits?: Float32Array | undefined;
  numClasses: number;
  /** The training set's per-sample shape (what the teacher is fed, NHWC). */
  dataShape: readonly number[];
}

/** The `fit` options that make a run a distillation, and what to free after it. */
export interface DistillHooks {
  fit: Pick<FitOptions, 'loss' | 'features' | 'extraVariables' | 'beforeStep'>;
  /** Free the online teacher's last outputs. */
  dispose(): void;
}

/**
 * Student feature names as the loss terms write them, mapped to the model's layer names: a
 * layer name stands for itself, `b<i>` for the output layer of block i (see `blockOutputNames`),
 * `b<i>.attention` for the layer whose output feeds transformer block i (its maps are computed
 * from it, see `attentionSources`).
 * Unknown names fail here, before any output exists.
 *
 * @example
 * studentFeatureLayers(model, ['b2']); // Map { 'b2' => 'b2_maxpool' }
 */
export function studentFeatureLayers(model: LayersModel, names: readonly string[]): Map<string, string> {
  const layers = new Set(model.layers.map((l) => l.name));
  const blocks = blockOutputNames(model);
  const attention = attentionSources(model);
  const out = new Map<string, string>();
  for (const name of names) {
    const m = /^b(\d+)$/.exec(name);
    const layer = layers.has(name) ? name : m && blocks[Number(m[1])] !== undefined ? blocks[Number(m[1])]! : attention.get(name)?.input;
    if (layer === undefined) {
      if (name.endsWith('.attention')) {
        throw new DistilleryError('DISTILL_STUDENT_FEATURE', `loss: the student has no transformer block '${name.slice(0, -'.attention'.length)}' whose attention maps '${name}' could give`,
          attention.size > 0 ? `use one of: ${[...attention.keys()].filter((k) => k.startsWith('b')).join(', ')}` : 'attention maps come from transformer blocks; this student has none', 'loss');
      }
      throw new DistilleryError(
        'DISTILL_STUDENT_FEATURE',
        `loss: the student has no layer or block '${name}'`,
        `name a block as b0..b${blocks.length - 1} or a layer (block outputs: ${blocks.join(', ')})`,
        'loss',
      );
    }
    out.set(name, layer);
  }
  return out;
}

/**
 * Check that the teacher gives every feature the loss terms ask of it.
 *
 * @example
 * checkTeacherFeatures(teacher, loss.features.teacher);
 */
export function checkTeacherFeatures(teacher: Teacher | undefined, names: readonly string[]): void {
  if (names.length === 0) return;
  if (!teacher) {
    throw new DistilleryError('DISTILL_NO_TEACHER', `loss: terms ask for teacher features (${names.join(', ')}) but there is no teacher`, 'add a teacher: section', 'teacher');
  }
  for (const name of names) {
    if (!teacher.featureNames.includes(name)) {
      throw new DistilleryError(
        'TEACHER_FEATURE',
        `loss: teacher ${teacher.name} has no feature '${name}'`,
        teacher.featureNames.length > 0 ? `use one of: ${teacher.featureNames.join(', ')}` : `this teacher gives logits only; drop the feature terms (hint, at)`,
        'loss',
      );
    }
  }
}

/**
 * Wire a configured loss and a teacher into `fit`: the loss sees the student's logits and named
 * features, the teacher's logits (looked up in the cache by the batch's training-set indices, or
 * computed by `beforeStep` on the very batch the student gets when the teacher runs online) and
 * the teacher's features; the terms' variables train with the student. Runs the loss once on a
 * few training samples first (see {@link primeLoss}), so shape errors surface here.
 *
 * @example
 * const hooks = await distillHooks({ loss, student, teacher, cachedLogits, numClasses: 10, dataShape: [28, 28, 1] }, train);
 * try { await fit(student, train, { ...opts, ...hooks.fit }); } finally { hooks.dispose(); }
 */
export async function distillHooks(o: DistillHooksOptions, train: Dataset): Promise<DistillHooks> {
  if (o.loss.mapsLayers) throw new Error('internal error: a loss with layers: uniform terms must be created with createLoss(..., { layers: transformerLayersOf(student, teacher) })');
  const featureLayers = studentFeatureLayers(o.student, o.loss.features.student);
  const attention = attentionSources(o.student);
  const teacherFeatures = [...o.loss.features.teacher];
  checkTeacherFeatures(o.teacher, teacherFeatures);
  await primeLoss(o, train);
  const online = o.teacher !== undefined && (o.loss.needsTeacher || teacherFeatures.length > 0) && o.cachedLogits === undefined;
  let current: TeacherOutput | undefined;
  const release = () => {
    if (!current) return;
    current.logits.dispose();
    for (const t of Object.values(current.features ?? {})) t.dispose();
    current = undefined;
  };
  const C = o.numClasses;
  const loss: LossFn = (logits, labels, batch) => {
    const ctx: LossContext = { studentLogits: logits, labels };
    if (o.cachedLogits) ctx.teacherLogits = gatherRows(o.cachedLogits, C, batch.indices);
    else if (current) ctx.teacherLogits = current.logits;
    if (current?.features) ctx.teacherFeatures = current.features;
    if (train.text) ctx.tokenMask = tokenMask(batch.input);
    if (featureLayers.size > 0) ctx.studentFeatures = studentFeatures(featureLayers, attention, (layer) => batch.features[layer]!, batch.input);
    return o.loss.compute(ctx);
  };
  const teacher = o.teacher;
  const beforeStep =
    online && teacher
      ? async (batch: StepBatch) => {
          release();
          const x = tf.tensor(batch.x, [batch.n, ...o.dataShape], 'float32');
          try {
            const texts = train.text ? Array.from(batch.indices, (i) => train.text!.texts[i]!) : undefined;
            current = await teacher.predict(x, { ...(teacherFeatures.length > 0 ? { features: teacherFeatures } : {}), ...(texts ? { texts } : {}) });
          } finally {
            x.dispose();
          }
        }
      : undefined;
  return {
    fit: {
      loss,
      features: [...new Set(featureLayers.values())],
      // terms that build variables at their first batch have built them in primeLoss
      extraVariables: [...o.loss.variables],
      ...(beforeStep ? { beforeStep } : {}),
    },
    dispose: release,
  };
}

/**
 * Run the loss once on the first few training samples, outside training: builds the variables
 * that terms create at their first batch (a hint adapter sized from the features), so that
 * `fit` can train them, and surfaces shape mismatches (teacher vs student logits or features)
 * as errors before any output is written.
 *
 * @example
 * await primeLoss({ loss, student, teacher, numClasses: 10, dataShape: [28, 28, 1] }, train);
 */
export async function primeLoss(o: DistillHooksOptions, train: Dataset, samples = 8): Promise<void> {
  const n = Math.min(samples, size(train));
  const d = sampleSize(train);
  const featureLayers = studentFeatureLayers(o.student, o.loss.features.student);
  const teacherFeatures = [...o.loss.features.teacher];
  const x = tf.tensor(train.x.subarray(0, n * d), [n, ...o.dataShape], 'float32');
  let t: TeacherOutput | undefined;
  try {
    if (o.teacher && (o.loss.needsTeacher || teacherFeatures.length > 0)) {
      t = await o.teacher.predict(x, { ...(teacherFeatures.length > 0 ? { features: teacherFeatures } : {}), ...(train.text ? { texts: train.text.texts.slice(0, n) } : {}) });
    }
    const teacherOut = t;
    tf.tidy(() => {
      const layers = [...new Set(featureLayers.values())];
      const view = layers.length > 0 ? featureView(o.student, layers) : undefined;
      const input = tf.reshape(x, [n, ...resolveInputShape(o.student, o.dataShape)]);
      const outs = view ? (view.apply(input, { training: false }) as tf.Tensor[]) : [o.student.apply(input, { training: false }) as tf.Tensor];
      const ctx: LossContext = { studentLogits: outs[0] as tf.Tensor2D, labels: tf.tensor1d(train.y.subarray(0, n), 'int32') };
      if (teacherOut) ctx.teacherLogits = teacherOut.logits;
      if (teacherOut?.features) ctx.teacherFeatures = teacherOut.features;
      if (train.text) ctx.tokenMask = tokenMask(input);
      if (layers.length > 0) ctx.studentFeatures = studentFeatures(featureLayers, attentionSources(o.student), (layer) => outs[1 + layers.indexOf(layer)]!, input);
      o.loss.compute(ctx);
    });
  } finally {
    x.dispose();
    if (t) {
      t.logits.dispose();
      for (const f of Object.values(t.features ?? {})) f.dispose();
    }
  }
}

/**
 * The student features a loss asked for, from one forward pass's layer outputs: layer outputs by
 * name, and attention maps computed from their input layer's output and the batch's ids.
 */
function studentFeatures(featureLayers: ReadonlyMap<string, string>, attention: ReadonlyMap<string, AttentionSource>, outputs: (layer: string) => tf.Tensor, ids: tf.Tensor): Record<string, tf.Tensor> {
  const sf: Record<string, tf.Tensor> = {};
  for (const [name, layer] of featureLayers) {
    if (attention.has(name)) Object.assign(sf, attentionMaps(attention, [name], { [layer]: outputs(layer) }, ids));
    else sf[name] = outputs(layer);
  }
  return sf;
}

/**
 * The transformer blocks of the student and the teacher, for `layers: uniform` terms: the
 * teacher's are the blocks whose attention maps it can give (`b<i>.attention`).
 *
 * @example
 * const loss = createLoss(config.loss, 'loss', { seed, layers: transformerLayersOf(student, teacher) });
 */
export function transformerLayersOf(student: LayersModel, teacher: Teacher | undefined): { student: number[]; teacher: number[] } {
  const t = (teacher?.featureNames ?? []).flatMap((n) => {
    const m = /^b(\d+)\.attention$/.exec(n);
    return m ? [Number(m[1])] : [];
  });
  return { student: transformerBlocks(student), teacher: t.sort((a, b) => a - b) };
}

/** A teacher's scores on a labelled set (as `evaluate` gives for a student). */
export interface TeacherScores {
  loss: number;
  accuracy: number;
  errors: number;
  n: number;
}

/**
 * Score a teacher on `ds` in batches: mean cross-entropy, accuracy and errors.
 *
 * @example
 * const { errors } = await evaluateTeacher(teacher, data.test, 500);
 */
export async function evaluateTeacher(teacher: Teacher, ds: Dataset, batchSize = 500): Promise<TeacherScores> {
  const n = size(ds);
  const d = sampleSize(ds);
  let lossSum = 0;
  let correct = 0;
  for (let s = 0; s < n; s += batchSize) {
    const e = Math.min(n, s + batchSize);
    const x = tf.tensor(ds.x.subarray(s * d, e * d), [e - s, ...ds.shape], 'float32');
    let out: TeacherOutput | undefined;
    try {
      out = await teacher.predict(x, ds.text ? { texts: ds.text.texts.slice(s, e) } : {});
      const logits = out.logits;
      const [l, c] = tf.tidy(() => {
        const y = tf.tensor1d(ds.y.subarray(s, e), 'int32');
        const hit = tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), y), 'float32'));
        return tf.stack([tf.mul(softmaxCrossEntropy(logits, y), e - s), hit]).dataSync();
      });
      lossSum += l!;
      correct += c!;
    } finally {
      x.dispose();
      if (out) {
        out.logits.dispose();
        for (const f of Object.values(out.features ?? {})) f.dispose();
      }
    }
  }
  const right = Math.round(correct);
  return { loss: lossSum / n, accuracy: right / n, errors: n - right, n };
}
