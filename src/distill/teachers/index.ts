/**
 * Teachers: a TF.js model folder, an ONNX file (run by onnxruntime), or an ensemble of them,
 * loaded from a validated `teacher:` config and checked against the data.
 *
 * @example
 * import { loadTeacher, parseTeacherConfig } from './distill/teachers/index.ts';
 * const teacher = await loadTeacher(parseTeacherConfig(raw.teacher), { baseDir, dataShape, numClasses, normalization });
 */
export { loadTeacher } from './load.ts';
export { parseTeacherConfig, teacherConfigSchema } from './config.ts';
export type { EnsembleTeacherConfig, OnnxTeacherConfig, TeacherConfig, TeacherConfigInput, TfjsTeacherConfig } from './config.ts';
export type { TeacherLoadContext } from './common.ts';
export { combineLogits, ensembleTeacher, normalizeWeights } from './ensemble.ts';
export { inputMapping } from './onnx.ts';
export { teacherCost } from './cost.ts';
export type { TeacherCost } from './cost.ts';
export type { InputMapping } from './onnx.ts';
export { affineBetween, applyAffine, resolveTeacherNormalization } from './normalize.ts';
export type { Affine, TeacherDataContext } from './normalize.ts';
