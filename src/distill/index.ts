/**
 * Knowledge distillation: loss terms combined as a weighted sum, teachers (TF.js, ONNX,
 * ensembles), the teacher-logit cache, the `teacher`/`loss`/`cache` config sections, and the
 * wiring of all of it into `fit` (the job itself is `distill` in src/jobs/distill.ts).
 *
 * @example
 * import { createLoss, loadTeacher, cachedTeacherLogits, distillHooks } from './distill/index.ts';
 * const loss = createLoss([{ term: 'kd', weight: 0.9, T: 4 }, { term: 'ce', weight: 0.1 }]);
 * const teacher = await loadTeacher({ type: 'onnx', path: 'cnn.onnx' }, { baseDir: '.', dataShape: [28, 28, 1], numClasses: 10, normalization });
 * const { logits } = await cachedTeacherLogits(teacher, data.train, { normalization });
 * const hooks = await distillHooks({ loss, student, teacher, cachedLogits: logits, numClasses: 10, dataShape: [28, 28, 1] }, data.train);
 * await fit(student, data.train, { ...opts, ...hooks.fit });
 */
export type { LossContext, LossTerm, LossTermKind, Teacher, TeacherOutput } from './types.ts';
export { cacheConfigSchema, DEFAULT_LOSS, distillSections, distillSectionsSchema } from './config.ts';
export type { CacheConfig } from './config.ts';
export { distillLossTerms, teacherRunsOnline, trainingLogits } from './setup.ts';
export type { TrainingLogitsOptions } from './setup.ts';
export { checkTeacherFeatures, distillHooks, evaluateTeacher, primeLoss, studentFeatureLayers, transformerLayersOf } from './job.ts';
export type { DistillHooks, DistillHooksOptions, DistillLoss, TeacherScores } from './job.ts';
export { cachedTeacherLogits, defaultCacheDir, gatherRows, logitCacheKey, teacherLogitsFor } from './cache.ts';
export type { CachedLogits, LogitCacheOptions } from './cache.ts';
export { createLoss, lossConfigSchema, lossTerms, kdLoss, dkdLoss, atLoss, rkdLoss } from './losses/index.ts';
export type { Loss, LossConfig, WeightedTerm } from './losses/index.ts';
export { loadTeacher, parseTeacherConfig, teacherConfigSchema, teacherCost } from './teachers/index.ts';
export type { TeacherConfig, TeacherConfigInput, TeacherCost, TeacherLoadContext } from './teachers/index.ts';
