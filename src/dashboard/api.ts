import type { Direction } from '../search/types.ts';
import { parseLimits } from '../search/constraints.ts';
import type { Limit } from '../search/constraints.ts';
import type { MetricRecord, Store, StudyCounts, StudyRecord, TrialRecord } from '../store/index.ts';
import { summarizeStudy } from '../store/index.ts';
import { architectureOf } from './architecture.ts';
import type { Architecture } from './architecture.ts';

/**
 * The dashboard's JSON views over the store: plain objects the page renders, built only from
 * what the store holds (read-only). Every view is what one API route answers.
 */

/** One study in the list of `GET /api/studies`. */
export interface StudyListItem {
  id: number;
  name: string;
  created: string;
  objectives: { name: string; direction: Direction }[];
  counts: StudyCounts;
}

/** What the store knows about a study's teacher; values it does not hold are absent. */
export interface TeacherInfo {
  /** `onnx`, `tfjs` or `ensemble`. */
  type: string;
  /** The teacher's file (or each member's, for an ensemble). */
  paths: string[];
  /** Measured values (e.g. `accuracy`, `params`, `macs`) when the study config records them. */
  values: Record<string, number>;
}

/** `GET /api/studies/:id`: the study, its config in brief, counts, front and hypervolume. */
export interface StudyView extends StudyListItem {
  limits: Limit[];
  teacher: TeacherInfo | null;
  strategy: string | null;
  budget: unknown;
  data: unknown;
  /** Trial ids of the Pareto front (feasible complete trials), best first by the first objective. */
  pareto: number[];
  hypervolume: number;
  reference: number[];
}

/** One trial of `GET /api/studies/:id/trials` (and of the live `trial` event). */
export interface TrialView {
  id: number;
  number: number;
  state: TrialRecord['state'];
  reason: string | null;
  params: Record<string, unknown>;
  /** Objective values by name, when the trial has them. */
  objectives: Record<string, number> | null;
  constraintViolation: number | null;
  values: Record<string, number>;
  started: string;
  finished: string | null;
  duration: number | null;
  artifacts: Record<string, string>;
  attempts: number;
}

/** `GET /api/trials/:id`: a trial with its frozen spec, architecture and per-epoch metrics. */
export interface TrialDetail extends TrialView {
  studyId: number;
  study: string;
  spec: unknown;
  architecture: Architecture | null;
  metrics: { step: number; values: Record<string, number> }[];
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The resolved study config inside what `search` freezes (`{ baseDir, config }`), or the record itself.
 *
 * @example
 * studyConfigOf(study)['limits']; // ['macs<=30000']
 */
export function studyConfigOf(study: StudyRecord): Record<string, unknown> {
  const c = study.config;
  if (isRecord(c) && isRecord(c['config'])) return c['config'];
  return isRecord(c) ? c : {};
}

function objectivesOf(study: StudyRecord): { name: string; direction: Direction }[] {
  return study.objectives.map((name, i) => ({ name, direction: study.directions[i]! }));
}

function limitsOf(config: Record<string, unknown>): Limit[] {
  const raw = config['limits'];
  if (!Array.isArray(raw)) return [];
  try {
    return parseLimits(raw.map(String));
  } catch {
    // The study ran with these limits, so they parsed then; a newer distillery that no longer
    // reads one should still show the study rather than fail the page.
    return [];
  }
}

function numbersOf(v: unknown): Record<string, number> {
  if (!isRecord(v)) return {};
  return Object.fromEntries(Object.entries(v).filter((e): e is [string, number] => typeof e[1] === 'number' && Number.isFinite(e[1])));
}

/**
 * The teacher as the frozen config names it. Its accuracy and cost are not measured by a
 * search today; a study that records them under `teacherMetrics` (in its config, or beside it
 * in the frozen record `{ baseDir, config, teacherMetrics }`) or `teacher.metrics` gets them
 * shown as the reference point and line.
 *
 * @example
 * teacherOf({ teacher: { type: 'onnx', path: 't.onnx' } }); // { type: 'onnx', paths: ['t.onnx'], values: {} }
 */
export function teacherOf(config: Record<string, unknown>, frozen: unknown = {}): TeacherInfo | null {
  const t = config['teacher'];
  if (!isRecord(t)) return null;
  const type = String(t['type'] ?? 'unknown');
  const members = Array.isArray(t['members']) ? t['members'].filter(isRecord) : [];
  const paths = type === 'ensemble' ? members.map((m) => String(m['path'] ?? '')).filter((p) => p !== '') : typeof t['path'] === 'string' ? [t['path']] : [];
  return { type, paths, values: { ...numbersOf(t['metrics']), ...numbersOf(config['teacherMetrics']), ...(isRecord(frozen) ? numbersOf(frozen['teacherMetrics']) : {}) } };
}

/**
 * A trial as the page shows it.
 *
 * @example
 * trialView(await store.getTrial(3), study.objectives).objectives; // { accuracy: 0.91, macs: 25408 }
 */
export function trialView(t: TrialRecord, names: readonly string[]): TrialView {
  return {
    id: t.id,
    number: t.number,
    state: t.state,
    reason: t.reason ?? null,
    params: t.params,
    objectives: t.objectives ? Object.fromEntries(names.map((n, i) => [n, t.objectives![i]!])) : null,
    constraintViolation: t.constraintViolation ?? null,
    values: t.values,
    started: t.started,
    finished: t.finished ?? null,
    duration: t.duration ?? null,
    artifacts: t.artifacts,
    attempts: t.attempts,
  };
}

/**
 * `GET /api/studies`: every study with its objectives and trial counts.
 *
 * @example
 * (await listStudiesView(store)).map((s) => s.name);
 */
export async function listStudiesView(store: Store): Promise<StudyListItem[]> {
  const studies = await store.listStudies();
  return Promise.all(studies.map(async (s) => ({ id: s.id, name: s.name, created: s.created, objectives: objectivesOf(s), counts: await store.counts(s.id) })));
}

async function studyById(store: Store, id: number): Promise<StudyRecord | undefined> {
  return (await store.listStudies()).find((s) => s.id === id);
}

/**
 * `GET /api/studies/:id`, or undefined when there is no such study.
 *
 * @example
 * const v = await studyView(store, 1); v?.pareto; // [7, 2]
 */
export async function studyView(store: Store, id: number): Promise<StudyView | undefined> {
  const study = await studyById(store, id);
  if (!study) return undefined;
  const config = studyConfigOf(study);
  const limits = limitsOf(config);
  const s = await summarizeStudy(store, study);
  const strategy = isRecord(config['strategy']) ? String(config['strategy']['name'] ?? '') || null : null;
  return {
    id: study.id,
    name: study.name,
    created: study.created,
    objectives: objectivesOf(study),
    counts: s.counts,
    limits,
    teacher: teacherOf(config, study.config),
    strategy,
    budget: config['budget'] ?? null,
    data: config['data'] ?? null,
    pareto: s.pareto.map((t) => t.id),
    hypervolume: s.hypervolume,
    reference: s.reference,
  };
}

/**
 * `GET /api/studies/:id/trials`, or undefined when there is no such study.
 *
 * @example
 * (await trialsView(store, 1))?.filter((t) => t.state === 'complete').length;
 */
export async function trialsView(store: Store, id: number): Promise<TrialView[] | undefined> {
  const study = await studyById(store, id);
  if (!study) return undefined;
  return (await store.listTrials(id)).map((t) => trialView(t, study.objectives));
}

/**
 * `GET /api/studies/:id/metrics`: every trial's per-epoch values, grouped by trial id.
 *
 * @example
 * (await studyMetricsView(store, 1))?.['7']?.[0]?.values.valAccuracy;
 */
export async function studyMetricsView(store: Store, id: number): Promise<Record<string, { step: number; values: Record<string, number> }[]> | undefined> {
  const study = await studyById(store, id);
  if (!study) return undefined;
  const out: Record<string, { step: number; values: Record<string, number> }[]> = {};
  for (const m of await store.studyMetrics(id)) (out[String(m.trialId)] ??= []).push({ step: m.step, values: m.values });
  return out;
}

/**
 * `GET /api/trials/:id`, or undefined when there is no such trial.
 *
 * @example
 * (await trialDetail(store, 7))?.architecture?.blocks.map((b) => b.block);
 */
export async function trialDetail(store: Store, id: number): Promise<TrialDetail | undefined> {
  const t = await store.getTrial(id);
  if (!t) return undefined;
  const study = (await studyById(store, t.studyId))!;
  const metrics: MetricRecord[] = await store.metrics(id);
  return {
    ...trialView(t, study.objectives),
    studyId: study.id,
    study: study.name,
    spec: t.spec ?? null,
    architecture: architectureOf(t.spec, studyConfigOf(study)),
    metrics: metrics.map((m) => ({ step: m.step, values: m.values })),
  };
}
