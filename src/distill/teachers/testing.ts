import { join } from 'node:path';

/**
 * The repository root, for tests that read committed files (examples/, test/fixtures/).
 *
 * @example
 * join(ROOT, 'examples/teachers/mnist-cnn.onnx');
 */
export const ROOT = join(import.meta.dirname, '../../..');

/**
 * Folder of the small ONNX models written by test/fixtures/make_onnx_fixtures.py.
 *
 * @example
 * loadTeacher({ type: 'onnx', path: 'mnist-5class.onnx' }, { baseDir: FIXTURES, ... });
 */
export const FIXTURES = join(ROOT, 'test/fixtures');

/**
 * The closed-form weights of the fixture models (see make_onnx_fixtures.py): W[i, k] =
 * sin(0.37 i + 1.1 k) / 8 over the NCHW flat index i, b[k] = 0.1 k, rounded to float32 as
 * the files hold them.
 *
 * @example
 * const { w, b } = fixtureWeights(); w(0, 1); // Math.fround(Math.sin(1.1) / 8)
 */
export function fixtureWeights(): { w: (i: number, j: number) => number; b: (j: number) => number } {
  return { w: (i, j) => Math.fround(Math.sin(0.37 * i + 1.1 * j) / 8), b: (j) => Math.fround(0.1 * j) };
}
