import { createHash } from 'node:crypto';
import { DistilleryError } from '../../core/errors.ts';
import type { Dataset } from '../../data/dataset.ts';
import type { Normalization } from '../../data/normalize.ts';
import type { Affine } from './normalize.ts';

/** Everything {@link loadTeacher} needs to know about the data the teacher will see. */
export interface TeacherLoadContext {
  /** Folder that relative teacher paths are resolved from (the config file's folder). */
  readonly baseDir: string;
  /** The data set's per-sample shape, distillery layout (NHWC for images). */
  readonly dataShape: readonly number[];
  /** The data set's class count: the teacher's output must match it. */
  readonly numClasses: number;
  /** The student's normalisation: the batches a teacher receives are normalised with it. */
  readonly normalization: Normalization;
  /** The student's (normalised) training set; only read for a teacher `normalize: scale | standardize`. */
  readonly train?: Dataset;
  /** The data's class names in order: a teacher that names its classes must match them. */
  readonly classNames?: readonly string[];
  /** Set for text data: the student's token count per sample (a text teacher tokenizes the raw texts itself). */
  readonly text?: { readonly maxLength: number };
  /** The config key of this teacher, for error messages (default `teacher`). */
  readonly key?: string;
}

/**
 * SHA-256 (hex) over byte strings and JSON-able parts, each length-prefixed so that two
 * different splits of the same bytes never collide.
 *
 * @example
 * hashParts([readFileSync('t.onnx'), { normalize: 'scale' }]);
 */
export function hashParts(parts: readonly (Uint8Array | unknown)[]): string {
  const h = createHash('sha256');
  for (const p of parts) {
    const b = p instanceof Uint8Array ? p : new TextEncoder().encode(JSON.stringify(p) ?? 'undefined');
    const len = new Uint8Array(8);
    new DataView(len.buffer).setBigUint64(0, BigInt(b.length), true);
    h.update(len);
    h.update(b);
  }
  return h.digest('hex');
}

/**
 * The part of a teacher's hash that its input map contributes: two teachers with the same
 * weights but different normalisation compute different logits.
 *
 * @example
 * affineKey(affine); // { scale: [...], shift: [...] } or 'identity'
 */
export function affineKey(a: Affine): unknown {
  return a.identity ? 'identity' : { scale: Array.from(a.scale), shift: Array.from(a.shift) };
}

/** `[28, 28, 1]` → `[28, 28, 1]` as text, symbolic dims (`batch`, null) as `N`. */
export function shapeText(shape: readonly (number | string | null)[]): string {
  return `[${shape.map((d) => (typeof d === 'number' ? String(d) : 'N')).join(', ')}]`;
}

/**
 * Check a teacher's class count against the data's: TEACHER_CLASSES naming expected and got.
 *
 * @example
 * checkClasses(5, 10, 'teacher.path', 'cnn5.onnx'); // throws: expected 10 classes, got 5
 */
export function checkClasses(got: number, expected: number, where: string, file: string): void {
  if (got !== expected) {
    throw new DistilleryError(
      'TEACHER_CLASSES',
      `${file}: the teacher outputs ${got} classes, the data set has ${expected} (expected ${expected}, got ${got})`,
      'use a teacher trained on the same classes as the data, or check data.source',
      where,
    );
  }
}

/**
 * Check a teacher's class names (when it names them) against the data's, in order:
 * TEACHER_LABELS naming both lists.
 *
 * @example
 * checkLabels(['spam', 'ham'], ['ham', 'spam'], 'teacher.labels', 'teacher.onnx'); // throws
 */
export function checkLabels(got: readonly string[] | undefined, expected: readonly string[] | undefined, where: string, file: string): void {
  if (got === undefined || expected === undefined) return;
  if (got.join('\u0000') !== expected.join('\u0000')) {
    throw new DistilleryError(
      'TEACHER_LABELS',
      `${file}: the teacher's classes are [${got.join(', ')}], the data's [${expected.join(', ')}] (in order)`,
      "the teacher must output the data's classes in the same order: relabel the data, or fix the teacher's labels.json / teacher.labels",
      where,
    );
  }
}
