import { DistilleryError } from '../core/errors.ts';
import type { Reporter } from '../core/events.ts';
import { loadData } from '../data/index.ts';
import type { LoadedData } from '../data/index.ts';
import { loadTeacher, teacherCost } from '../distill/index.ts';
import type { Teacher } from '../distill/index.ts';
import { modelCost } from '../models/index.ts';
import { checkSpecLimits, parseLimits, SPEC_METRICS } from '../search/index.ts';
import type { Limit } from '../search/index.ts';
import { prepareStudy, studyConfigSchema } from '../study/index.ts';
import { startEngine } from '../jobs/run.ts';
import { teacherMacs, trainingMacs } from './budget.ts';
import type { CompareConfig } from './config.ts';

/** What every arm is planned from, worked out (and checked) before any training. */
export interface ComparePlan {
  /** Training samples per epoch (the same for every seed's split). */
  samples: number;
  inputShape: number[];
  numClasses: number;
  /** Forward MACs per sample of the hand student and of the teacher. */
  studentMacs: number;
  teacherMacs: number;
  /** The teacher runs on every batch (augmentation): its passes are charged per epoch, not once. */
  online: boolean;
  /** Training MACs each arm may spend per seed. */
  budget: number;
  /** The cost metric the limits bound and the fronts are drawn against (e.g. `macs`). */
  metric: string;
  limits: Limit[];
  /** (T, alpha) pairs the distilled arms choose among. */
  recipes: { temperature: number; alpha: number }[];
  /** Epochs of each distilled-arm tuning run. */
  tuneEpochs: number;
  /** The seeds every arm runs. */
  seeds: number[];
}

/** The plan with what the checks loaded: the data (of the first seed) and the teacher, kept for the whole comparison. */
export interface Preflight {
  plan: ComparePlan;
  data: LoadedData;
  teacher: Teacher;
}

/** A search config over `space` for one seed (without teacher: the label-only search arm). */
export function searchStudyConfig(config: CompareConfig, seed: number, space: unknown, name: string, distil?: { loss: unknown }): ReturnType<typeof studyConfigSchema.parse> {
  return studyConfigSchema.parse({
    name, seed, backend: config.backend, ...(config.threads ? { threads: config.threads } : {}),
    data: config.data, space, train: config.train, strategy: config.strategy,
    objectives: config.objectives, limits: config.limits,
    budget: { trials: 1, epochs: config.budget.trialEpochs },
    ...(distil ? { teacher: config.teacher, loss: distil.loss, ...(config.cache ? { cache: config.cache } : {}) } : {}),
  });
}

/**
 * Checks a compare config against its data before any training, each failure one clear error:
 * no validation split (`COMPARE_NO_VALIDATION`) or test split (`COMPARE_NO_TEST`), objectives
 * that are not accuracy against a cost known from the spec (`COMPARE_OBJECTIVES`), a hand
 * student outside the limits (`COMPARE_STUDENT_LIMITS`), a teacher that does not fit the data
 * (the teacher loader's own error), a teacher whose MACs are unknown (`COMPARE_TEACHER_MACS`), a
 * budget that does not pay for one epoch of the hand student or for the distilled arm's
 * teacher pass and runs (`COMPARE_BUDGET_TOO_SMALL`), limits no candidate of the space meets
 * (`SEARCH_LIMITS_UNREACHABLE`).
 *
 * @example
 * const { plan, teacher } = await preflight(config, baseDir);
 * plan.budget; // training MACs per arm and seed
 */
export async function preflight(config: CompareConfig, baseDir: string, reporter?: Reporter): Promise<Preflight> {
  const [acc, cost] = config.objectives;
  if (acc!.metric !== 'accuracy' || acc!.direction !== 'max' || !(SPEC_METRICS as readonly string[]).includes(cost!.metric) || cost!.direction !== 'min') {
    throw new DistilleryError('COMPARE_OBJECTIVES', `objectives: expected accuracy (max) then a cost known from the spec (min), got ${config.objectives.map((o) => `${o.metric} (${o.direction})`).join(', ')}`, `e.g. [{ metric: accuracy, direction: max }, { metric: macs, direction: min }]; the cost may be ${SPEC_METRICS.join(', ')}`, 'objectives');
  }
  const limits = parseLimits(config.limits, 'limits');
  await startEngine(config);
  const data = await loadData(config.data, { baseDir, seed: config.seed });
  if (!data.validation) throw new DistilleryError('COMPARE_NO_VALIDATION', 'data.validation: every arm selects on a validation split, and there is none', 'set data.validation (e.g. 0.1 or a count)', 'data.validation');
  if (!data.test) throw new DistilleryError('COMPARE_NO_TEST', 'data: a comparison scores the chosen models once on a test split, and there is none', 'give the data source a test part (source.test)', 'data.source');
  const inputShape = [...data.train.shape];
  const numClasses = data.train.numClasses;
  const samples = data.train.y.length;
  const student = modelCost(config.student, inputShape, numClasses, 'student');
  const sc = checkSpecLimits(config.student, limits, inputShape, numClasses);
  if (!sc.ok) {
    const l = sc.failed[0]!;
    throw new DistilleryError('COMPARE_STUDENT_LIMITS', `student: its ${l.metric} ${sc.metrics[l.metric as keyof typeof sc.metrics]} breaks the limit ${l.metric}${l.op}${l.value}`, 'the hand student is the model a user would pick within the limits: make it smaller, or loosen limits', 'student');
  }
  const budget = config.budget.studentEpochs !== undefined ? trainingMacs(student.macs, samples, config.budget.studentEpochs) : config.budget.macs!;
  const oneEpoch = trainingMacs(student.macs, samples, 1);
  if (budget < oneEpoch) {
    throw new DistilleryError('COMPARE_BUDGET_TOO_SMALL', `budget.macs: ${fmt(budget)} training MACs do not pay for one epoch of the hand student (${fmt(oneEpoch)} = 3 × ${fmt(student.macs)} MACs × ${samples} samples)`, `give at least budget.macs: ${oneEpoch}, or budget.studentEpochs`, 'budget.macs');
  }

  if (budget < 20 * oneEpoch) reporter?.({ event: 'warning', message: `budget: ${(budget / oneEpoch).toFixed(1)} epochs of the hand student; an arm leaves up to one epoch of its final model unspent, so the arms may land more than 5% apart (give 20 or more)` });

  const teacher = await loadTeacher(config.teacher, { baseDir, dataShape: data.train.shape, numClasses, normalization: data.normalization, train: data.train });
  try {
    const tMacs = teacherCost(config.teacher, baseDir, inputShape, numClasses).macs ?? config.budget.teacherMacs;
    if (tMacs === undefined) throw new DistilleryError('COMPARE_TEACHER_MACS', `teacher: its forward MACs per sample are not known from ${config.teacher.type === 'ensemble' ? 'its members' : `its ${config.teacher.type} file`}, so the distilled arms' teacher passes cannot be charged`, 'give budget.teacherMacs (forward MACs per sample)', 'budget.teacherMacs');
    // any augmentation the loader built (pixel shifts; an audio time shift or noise) changes each
    // batch, so the teacher runs online, as the distill job decides it (teacherRunsOnline)
    const online = data.augment !== undefined;
    const recipes = config.distill.temperature.flatMap((temperature) => config.distill.alpha.map((alpha) => ({ temperature, alpha })));
    const afterTeacher = budget - teacherMacs(tMacs, samples, 1, false);
    const perEpoch = oneEpoch + (online ? tMacs * samples : 0);
    const tuneEpochs = recipes.length > 1 ? Math.floor((config.budget.tune * afterTeacher) / (recipes.length * perEpoch)) : 0;
    const needed = (recipes.length > 1 ? recipes.length : 0) + 1;
    if (afterTeacher < needed * perEpoch || (recipes.length > 1 && tuneEpochs < 1)) {
      const least = teacherMacs(tMacs, samples, 1, false) + Math.ceil(needed / (recipes.length > 1 ? Math.min(1, config.budget.tune) : 1)) * perEpoch;
      throw new DistilleryError('COMPARE_BUDGET_TOO_SMALL', `budget: ${fmt(budget)} training MACs do not pay for the distilled arm: the teacher's pass over ${samples} samples (${fmt(budget - afterTeacher)}), one tuning epoch for each of its ${recipes.length} (T, alpha) recipes within budget.tune and one final epoch`, `give a budget of at least ${fmt(least)} MACs, or fewer distill.temperature/alpha values`, 'budget');
    }
    // The limits against the search space: SEARCH_LIMITS_UNREACHABLE (or an invalid template) now.
    const setup = await prepareStudy(searchStudyConfig(config, config.seed, config.space, 'preflight'), { baseDir, ...(reporter ? { reporter: quiet(reporter) } : {}) });
    await setup.dispose();
    const seeds = Array.from({ length: config.seeds }, (_, i) => config.seed + i);
    return {
      plan: { samples, inputShape, numClasses, studentMacs: student.macs, teacherMacs: tMacs, online, budget, metric: cost!.metric, limits, recipes, tuneEpochs, seeds },
      data,
      teacher,
    };
  } catch (e) {
    teacher.dispose();
    throw e;
  }
}

function quiet(r: Reporter): Reporter {
  return (e) => {
    if (e.event === 'warning') r(e);
  };
}

/** A MAC count as people read it: 1.23e9. */
export function fmt(n: number): string {
  return n >= 1e5 ? n.toExponential(2).replace('e+', 'e') : String(Math.round(n));
}
