import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { DistilleryError } from '../../core/errors.ts';
import { Rng } from '../../core/rng.ts';
import type { LossContext, LossTerm, LossTermKind } from '../types.ts';
import { checkLeadingAxes, featureOf, shapeText } from './common.ts';

/**
 * Options of `hint`: which student layer (the "guided" layer) is regressed onto which teacher
 * feature (the "hint"). Give both channel counts to build the adapter up front; otherwise it
 * is built at the first batch, when the shapes are known.
 */
export const hintOptionsSchema = z
  .object({
    student: z.string().min(1),
    teacher: z.string().min(1),
    studentChannels: z.number().int().positive().optional(),
    teacherChannels: z.number().int().positive().optional(),
    /** Seed of the adapter's initial weights; `createLoss` fills it from its own seed when absent. */
    seed: z.number().int().min(0).optional(),
  })
  .strict()
  .refine((o) => (o.studentChannels === undefined) === (o.teacherChannels === undefined), {
    message: 'give both studentChannels and teacherChannels, or neither',
    path: ['teacherChannels'],
  });

/** Validated options of {@link hintTerm}. */
export type HintOptions = z.output<typeof hintOptionsSchema>;

/**
 * FitNets (Romero et al. 2015) hint training: the student's feature goes through a learned
 * linear adapter to the teacher's channel count, and the mean squared error to the teacher's
 * feature is the loss. On NHWC maps the adapter is a 1x1 convolution, on [batch, units]
 * vectors a dense layer; both are the same matmul over the last axis, with a kernel
 * `[studentChannels, teacherChannels]` and a bias. Batch and spatial sizes must match.
 *
 * The adapter's kernel and bias are in {@link LossTerm.variables} (empty until they exist),
 * for the trainer to train with the student; `dispose()` frees them.
 *
 * @example
 * const hint = hintTerm({ student: 'b2', teacher: 'layer2', studentChannels: 32, teacherChannels: 64 });
 * const loss = hint.compute(ctx); // ctx.studentFeatures.b2, ctx.teacherFeatures.layer2
 */
export class HintTerm implements LossTerm {
  readonly name: string = 'hint';
  readonly needsTeacher = true;
  readonly features: { student: string; teacher: string };
  private kernel: tf.Variable | undefined;
  private bias: tf.Variable | undefined;
  private readonly seed: number;

  constructor(options: HintOptions) {
    this.features = { student: options.student, teacher: options.teacher };
    this.seed = options.seed ?? 0;
    if (options.studentChannels !== undefined && options.teacherChannels !== undefined) {
      this.build(options.studentChannels, options.teacherChannels);
    }
  }

  get variables(): readonly tf.Variable[] {
    return this.kernel && this.bias ? [this.kernel, this.bias] : [];
  }

  /**
   * Creates the adapter for the given channel counts: kernel uniform in `±1/sqrt(fanIn)`
   * (PyTorch's default bound for conv and linear layers), bias zero.
   */
  build(studentChannels: number, teacherChannels: number): void {
    if (this.kernel) return;
    const rng = new Rng(this.seed);
    const bound = 1 / Math.sqrt(studentChannels);
    const k = new Float32Array(studentChannels * teacherChannels);
    for (let i = 0; i < k.length; i++) k[i] = (2 * rng.next() - 1) * bound;
    const kInit = tf.tensor2d(k, [studentChannels, teacherChannels]);
    const bInit = tf.zeros([teacherChannels]);
    this.kernel = tf.variable(kInit, true);
    this.bias = tf.variable(bInit, true);
    kInit.dispose();
    bInit.dispose();
  }

  compute(ctx: LossContext): tf.Scalar {
    return tf.tidy(() => {
      const { y, t } = this.pair(ctx, 'hint');
      return tf.mean(tf.squaredDifference(y, t)) as tf.Scalar;
    });
  }

  /** The student feature through the adapter, shaped as the teacher's (`compute` has checked both). */
  protected adapt(s: tf.Tensor, cs: number): tf.Tensor {
    const kernel = this.kernel as tf.Variable;
    return tf.reshape(tf.add(tf.matMul(tf.reshape(s, [-1, cs]), kernel), this.bias as tf.Variable), [...s.shape.slice(0, -1), kernel.shape[1]!]);
  }

  /** The adapted student feature and the teacher's, after the shape checks; builds the adapter at the first call. */
  protected pair(ctx: LossContext, term: string): { y: tf.Tensor; t: tf.Tensor } {
    const { student, teacher } = this.features;
    const s = featureOf(ctx, 'student', student, term);
    const t = featureOf(ctx, 'teacher', teacher, term);
    checkLeadingAxes(s, t, term, student, teacher);
    const cs = s.shape[s.rank - 1];
    const ct = t.shape[t.rank - 1];
    this.build(cs, ct);
    const kernel = this.kernel as tf.Variable;
    if (kernel.shape[0] !== cs || kernel.shape[1] !== ct) {
      throw new DistilleryError('LOSS_FEATURE_SHAPE',
        `loss term '${term}': adapter ${student} -> ${teacher} is ${shapeText(kernel.shape)} (student channels, teacher channels) but the features have ${cs} and ${ct} channels (student ${shapeText(s.shape)}, teacher ${shapeText(t.shape)})`,
        'set studentChannels and teacherChannels to the features\' last axes, or leave both out to infer them');
    }
    return { y: this.adapt(s, cs), t };
  }

  dispose(): void {
    this.kernel?.dispose();
    this.bias?.dispose();
    this.kernel = undefined;
    this.bias = undefined;
  }
}

/**
 * A FitNets hint term (see {@link HintTerm}).
 *
 * @example
 * const hint = hintTerm({ student: 'b2', teacher: 'layer2' });
 */
export function hintTerm(options: HintOptions): HintTerm {
  return new HintTerm(options);
}

/** `hint` as registered. */
export const hintKind: LossTermKind<HintOptions> = { schema: hintOptionsSchema, create: hintTerm };
