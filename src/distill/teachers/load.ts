import { isAbsolute, resolve } from 'node:path';
import type { Teacher } from '../types.ts';
import type { TeacherLoadContext } from './common.ts';
import type { TeacherConfig } from './config.ts';
import { ensembleTeacher } from './ensemble.ts';
import { loadOnnxTeacher } from './onnx.ts';
import { loadTfjsTeacher } from './tfjs.ts';

/**
 * Load the teacher a (parsed) `teacher:` section describes, checked against the data: its
 * input must take the data's samples (`TEACHER_INPUT_SHAPE`) and its output have the data's
 * class count (`TEACHER_CLASSES`); a file that is not a model is `TEACHER_FORMAT`, a missing
 * one `TEACHER_NOT_FOUND`. Each message names the file, and expected and got.
 *
 * Teachers receive the student's normalised batches; a teacher `normalize` (relative to the
 * raw values, like `data.normalize`) makes the teacher map them to its own normalisation
 * first, by the affine map `x · ss/st + (ms − mt)/st` (see `affineBetween`).
 *
 * @example
 * const data = await loadData({ source: 'mnist', normalize: 'scale' }, { baseDir: '.', seed: 1 });
 * const teacher = await loadTeacher(
 *   { type: 'onnx', path: 'examples/teachers/mnist-cnn.onnx', normalize: { mean: 33.3285, std: 78.5655 } },
 *   { baseDir: '.', dataShape: data.train.shape, numClasses: data.train.numClasses, normalization: data.normalization },
 * );
 */
export async function loadTeacher(config: TeacherConfig, ctx: TeacherLoadContext): Promise<Teacher> {
  const key = ctx.key ?? 'teacher';
  const at = (p: string) => (isAbsolute(p) ? p : resolve(ctx.baseDir, p));
  if (config.type === 'tfjs') return loadTfjsTeacher(config, at(config.path), { ...ctx, key });
  if (config.type === 'onnx') return loadOnnxTeacher(config, at(config.path), { ...ctx, key });
  const members: Teacher[] = [];
  try {
    for (const [i, m] of config.members.entries()) members.push(await loadTeacher(m, { ...ctx, key: `${key}.members[${i}]` }));
    return ensembleTeacher(members, { combine: config.combine, ...(config.weights ? { weights: config.weights } : {}) }, key);
  } catch (e) {
    for (const m of members) m.dispose();
    throw e;
  }
}
