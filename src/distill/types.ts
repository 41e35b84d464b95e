import type * as tf from '@tensorflow/tfjs-core';
import type { z } from 'zod';

/**
 * What a teacher gives for one batch: logits, and the named features a loss term asked for
 * (a TF.js layer's output, or an ONNX graph output).
 */
export interface TeacherOutput {
  logits: tf.Tensor2D;
  features?: Record<string, tf.Tensor>;
}

/**
 * A model that teaches: trained here, a TF.js model folder, an ONNX file, or an ensemble.
 * Inputs are batches in distillery's layout (NHWC images, or flat features), already
 * normalised the way the data stage does it.
 *
 * @example
 * const out = await teacher.predict(x, { features: ['b3'] });
 */
export interface Teacher {
  readonly kind: 'tfjs' | 'onnx' | 'ensemble';
  readonly name: string;
  readonly numClasses: number;
  /** Per-sample input shape the teacher expects, distillery layout (NHWC for images). */
  readonly inputShape: readonly number[];
  /** Content hash of the teacher (weights / file bytes, ensemble weights): part of the logit cache key. */
  readonly hash: string;
  /** Feature names this teacher can give (layer names or ONNX output names). */
  readonly featureNames: readonly string[];
  /**
   * Logits (and features) for a batch. For text data `texts` holds the batch's raw texts
   * (aligned with `x`, the student's token ids): a teacher with its own tokenizer reads them.
   */
  predict(x: tf.Tensor, opts?: TeacherPredictOptions): Promise<TeacherOutput>;
  /** True when the teacher reads the raw texts (its own tokenizer), not the student's ids. */
  readonly readsTexts?: boolean;
  dispose(): void;
}

/** Options of {@link Teacher.predict}. */
export interface TeacherPredictOptions {
  features?: readonly string[];
  /** The batch's raw texts, for text data. */
  texts?: readonly string[];
}

/** Everything a loss term may look at for one training batch. */
export interface LossContext {
  studentLogits: tf.Tensor2D;
  /** Present when the distillation has a teacher. */
  teacherLogits?: tf.Tensor2D;
  /** int32 class labels. */
  labels: tf.Tensor1D;
  /** Student features by the names the terms asked for. */
  studentFeatures?: Record<string, tf.Tensor>;
  /** Teacher features by the names the terms asked for. */
  teacherFeatures?: Record<string, tf.Tensor>;
  /** For text: 1 at tokens, 0 at padding, [batch, length] (the student's ids != 0); terms on token positions skip padding. */
  tokenMask?: tf.Tensor2D;
}

/** One configured loss term, ready to compute. */
export interface LossTerm {
  readonly name: string;
  /** Whether the term needs teacher logits. */
  readonly needsTeacher: boolean;
  /** Features the term needs: student layer name and teacher feature name. */
  readonly features?: { student: string; teacher: string };
  /** Trainable variables the term owns (e.g. FitNets' adapter), trained with the student. */
  readonly variables?: readonly tf.Variable[];
  compute(ctx: LossContext): tf.Scalar;
  dispose?(): void;
}

/**
 * A loss term kind, registered by name with its options schema.
 *
 * @example
 * lossTerms.register('kd', { schema: z.object({ T: z.number().positive().default(4) }).strict(), create: (o) => kdTerm(o.T) });
 */
export interface LossTermKind<O = unknown> {
  readonly schema: z.ZodType<O>;
  create(options: O): LossTerm;
}
