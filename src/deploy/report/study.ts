import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { DistilleryError } from '../../core/errors.ts';
import { parseLimits } from '../../search/index.ts';
import { openStore } from '../../store/index.ts';
import { summarizeStudy } from '../../store/index.ts';
import { modelDirOf, type FoundModel } from './inputs.ts';
import type { DataSource } from './measure.ts';
import type { ReportStudy } from './types.ts';

/** A study's front models, its teacher and data, read from its store. */
export interface StudyInput {
  study: ReportStudy;
  /** The front's trials with a saved model, best first by the first objective. */
  models: (FoundModel & { trial: number; objectives: Record<string, number> })[];
  /** The study's teacher, when it is a TF.js model folder that still exists. */
  teacher?: string;
  data?: DataSource;
  notes: string[];
}

interface Frozen {
  baseDir?: string;
  config?: { limits?: string[]; data?: Record<string, unknown>; teacher?: { type?: string; path?: string } };
}

/**
 * Reads a study store: the Pareto front's trials (each with its saved model), the complete
 * trials within the limits (for the scatter), the limits, the teacher and the data section.
 *
 * @example
 * const s = await readStudy('runs/study.db');
 * s.models.map((m) => m.label); // ['trial 3', 'trial 0']
 */
export async function readStudy(file: string, name?: string): Promise<StudyInput> {
  const store = await openStore(file, { readonly: true });
  try {
    const record = await store.getStudy(name);
    if (!record) throw new DistilleryError('STORE_NO_STUDY', `${file}: ${name ? `no study named '${name}'` : 'holds no study yet'}`, 'run `distillery search --config FILE --store PATH` first', file);
    const frozen = (record.config ?? {}) as Frozen;
    const cfg = frozen.config ?? {};
    const baseDir = frozen.baseDir ?? dirname(file);
    const limits = parseLimits(cfg.limits ?? []);
    const s = await summarizeStudy(store, record);
    const onFront = new Set(s.pareto.map((t) => t.id));
    const points = s.trials
      .filter((t) => t.state === 'complete' && (t.constraintViolation ?? 0) <= 0 && t.objectives && s.objectives.every((o) => Number.isFinite(t.objectives![o.name])))
      .map((t) => ({ trial: t.number, values: s.objectives.map((o) => t.objectives![o.name]!), front: onFront.has(t.id) }));
    const notes: string[] = [];
    const models: StudyInput['models'] = [];
    for (const t of s.pareto) {
      const dir = t.model ? (isAbsolute(t.model) ? t.model : resolve(dirname(file), t.model)) : undefined;
      if (!dir || !existsSync(dir)) {
        notes.push(`trial ${t.number} is on the front but its saved model ${dir ?? '(none recorded)'} is missing`);
        continue;
      }
      models.push({ dir, label: `trial ${t.number}`, role: 'student', trial: t.number, objectives: t.objectives ?? {} });
    }
    let teacher: string | undefined;
    if (cfg.teacher?.type === 'tfjs' && cfg.teacher.path) {
      teacher = modelDirOf(resolve(baseDir, cfg.teacher.path));
      if (!teacher) notes.push(`the study's teacher ${cfg.teacher.path} is not a model folder any more`);
    } else if (cfg.teacher) {
      notes.push(`the study's teacher is a ${cfg.teacher.type ?? 'non-TF.js'} teacher: pass --teacher DIR to compare with a TF.js model folder`);
    }
    return {
      study: { name: s.study, store: resolve(file), objectives: s.objectives, limits: limits.map((l) => ({ metric: l.metric, op: l.op, value: l.value })), points, counts: s.counts },
      models,
      ...(teacher ? { teacher } : {}),
      ...(cfg.data ? { data: { data: cfg.data, baseDir } } : {}),
      notes,
    };
  } finally {
    await store.close();
  }
}
