import { DistilleryError } from '../core/errors.ts';
import type { Dataset } from './dataset.ts';

/** Labels as a source read them: numbers (IDX, NPY, numeric CSV) or class names (CSV). */
export type RawLabels = { readonly kind: 'numeric'; readonly values: Float64Array } | { readonly kind: 'names'; readonly values: readonly string[] };

/**
 * One part (train or test) of a source before its labels become class indices. Train and test
 * are labelled together so that they share one class list.
 */
export interface RawPart {
  readonly x: Float32Array;
  readonly shape: readonly number[];
  readonly labels: RawLabels;
  /** The file the labels came from, for error messages. */
  readonly labelFile: string;
  /** Words for where label `i` sits in that file ("sample 3", "line 5"). */
  readonly locate: (i: number) => string;
  readonly valueRange?: readonly [number, number];
}

/**
 * Turn the raw labels of several parts into class indices that share one class list.
 * Numeric labels must be integers in [0, numClasses) (numClasses defaults to the largest
 * label + 1 over all parts; class names are then "0", "1", ...). Names become the indices of
 * their sorted, de-duplicated union, and that sorted list is `classNames`.
 *
 * @example
 * const [train, test] = labelParts([trainPart, testPart]);
 */
export function labelParts(parts: readonly RawPart[], numClasses?: number): Dataset[] {
  const anyNames = parts.some((p) => p.labels.kind === 'names');
  if (anyNames) return labelByName(parts, numClasses);
  let max = -1;
  for (const p of parts) {
    const v = (p.labels as { values: Float64Array }).values;
    for (let i = 0; i < v.length; i++) {
      const l = v[i];
      if (!Number.isInteger(l) || l < 0 || (numClasses !== undefined && l >= numClasses)) {
        const range = numClasses !== undefined ? `[0, ${numClasses})` : 'the integers >= 0';
        throw new DistilleryError(
          'DATA_LABEL_RANGE',
          `${p.labelFile}: ${p.locate(i)} has label ${l}, outside ${range}`,
          numClasses !== undefined
            ? 'labels must be class indices 0..numClasses-1: fix the label or raise data.source.numClasses'
            : 'labels must be class indices 0, 1, 2, ...: map them to integers (or use class names in a CSV)',
          p.labelFile,
        );
      }
      if (l > max) max = l;
    }
  }
  const k = numClasses ?? max + 1;
  const classNames = Array.from({ length: k }, (_, i) => String(i));
  return parts.map((p) => dataset(p, Int32Array.from((p.labels as { values: Float64Array }).values), k, classNames));
}

function labelByName(parts: readonly RawPart[], numClasses: number | undefined): Dataset[] {
  const names = (p: RawPart): readonly string[] =>
    p.labels.kind === 'names' ? p.labels.values : Array.from(p.labels.values, (v) => String(v));
  const all = new Set<string>();
  for (const p of parts) for (const n of names(p)) all.add(n);
  // Code-unit order, not locale order: the class list must not depend on the machine.
  const classNames = [...all].sort();
  if (numClasses !== undefined && classNames.length > numClasses) {
    const p = parts[0];
    throw new DistilleryError(
      'DATA_LABEL_RANGE',
      `${p.labelFile}: ${classNames.length} distinct class names, more than numClasses ${numClasses}`,
      'raise data.source.numClasses or remove it',
      p.labelFile,
    );
  }
  const index = new Map(classNames.map((n, i) => [n, i]));
  const k = numClasses ?? classNames.length;
  // Classes the data never shows still need a name: their index.
  for (let i = classNames.length; i < k; i++) classNames.push(String(i));
  return parts.map((p) => {
    const ns = names(p);
    const y = new Int32Array(ns.length);
    for (let i = 0; i < ns.length; i++) y[i] = index.get(ns[i]) as number;
    return dataset(p, y, k, classNames);
  });
}

function dataset(p: RawPart, y: Int32Array, numClasses: number, classNames: readonly string[]): Dataset {
  const base = { x: p.x, y, shape: p.shape, numClasses, classNames };
  return p.valueRange ? { ...base, valueRange: p.valueRange } : base;
}
