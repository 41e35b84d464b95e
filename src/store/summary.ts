import { hypervolume, nonDominatedSort, toMinimization } from '../search/pareto.ts';
import type { Direction } from '../search/types.ts';
import type { Store, StudyCounts, StudyRecord, TrialRecord } from './types.ts';

/** A trial as `search show --json` and the `done` event list it. */
export interface TrialRow {
  id: number;
  number: number;
  state: TrialRecord['state'];
  /** Objective values by name (complete and pruned trials). */
  objectives: Record<string, number> | null;
  params: Record<string, unknown>;
  reason: string | null;
  constraintViolation: number | null;
  values: Record<string, number>;
  duration: number | null;
  model: string | null;
  attempts: number;
}

/** The study's outcome: counts, the Pareto front of its feasible complete trials, their hypervolume. */
export interface StudySummary {
  study: string;
  objectives: { name: string; direction: Direction }[];
  counts: StudyCounts;
  trials: TrialRow[];
  /** Non-dominated complete trials within every limit, best first by the first objective. */
  pareto: TrialRow[];
  /** Hypervolume of the front against `reference` (in the objectives' own units and directions). */
  hypervolume: number;
  reference: number[];
}

/**
 * A study's hypervolume reference point as far as it is known before any trial: per objective,
 * the limit on it when there is one, 0 for accuracy (the natural worst, which every trained
 * model beats), else null: the summary then takes the worst value among the feasible complete
 * trials pushed 10% of their range further (so every front point counts). Stored with the study
 * when it is created, so every reader (search, show, report, dashboard) uses the same point.
 *
 * @example
 * studyReference(['accuracy', 'macs'], [{ metric: 'macs', value: 2e6 }]); // [0, 2000000]
 * studyReference(['accuracy', 'params']); // [0, null]
 */
export function studyReference(objectives: readonly string[], limits: readonly { readonly metric: string; readonly value: number }[] = []): (number | null)[] {
  return objectives.map((name) => limits.find((l) => l.metric === name)?.value ?? (name === 'accuracy' ? 0 : null));
}

/**
 * Reads a study back from its store and works out its front and hypervolume against the
 * study's stored reference point ({@link studyReference}), whose open entries are filled from
 * the feasible complete trials.
 *
 * @example
 * const s = await summarizeStudy(store, study);
 * s.pareto.map((t) => t.model);
 */
export async function summarizeStudy(store: Store, study: StudyRecord): Promise<StudySummary> {
  const trials = await store.listTrials(study.id);
  const rows = trials.map((t) => rowOf(t, study.objectives));
  const dirs = study.directions;
  const feasible = trials.filter((t) => t.state === 'complete' && (t.constraintViolation ?? 0) <= 0 && t.objectives !== undefined && t.objectives.every(Number.isFinite));
  const pts = feasible.map((t) => toMinimization(t.objectives!, dirs));
  const front = pts.length > 0 ? nonDominatedSort(pts)[0]! : [];
  const pareto = front.map((i) => rows[trials.indexOf(feasible[i]!)]!).sort((a, b) => {
    const k = study.objectives[0]!;
    return (dirs[0] === 'max' ? -1 : 1) * (a.objectives![k]! - b.objectives![k]!) || a.number - b.number;
  });
  const reference = study.objectives.map((_, j) => {
    const fixed = study.reference[j];
    if (fixed !== null && fixed !== undefined) return fixed;
    const vals = feasible.map((t) => t.objectives![j]!);
    if (vals.length === 0) return NaN;
    const lo = Math.min(...vals);
    const hi = Math.max(...vals);
    const pad = hi > lo ? 0.1 * (hi - lo) : Math.max(Math.abs(hi) * 0.1, 1e-9);
    return dirs[j] === 'max' ? lo - pad : hi + pad;
  });
  const hv = pts.length > 0 && reference.every(Number.isFinite) ? hypervolume(front.map((i) => pts[i]!), toMinimization(reference, dirs)) : 0;
  return { study: study.name, objectives: study.objectives.map((name, i) => ({ name, direction: dirs[i]! })), counts: await store.counts(study.id), trials: rows, pareto, hypervolume: hv, reference };
}

function rowOf(t: TrialRecord, names: readonly string[]): TrialRow {
  return {
    id: t.id,
    number: t.number,
    state: t.state,
    objectives: t.objectives ? Object.fromEntries(names.map((n, i) => [n, t.objectives![i]!])) : null,
    params: t.params,
    reason: t.reason ?? null,
    constraintViolation: t.constraintViolation ?? null,
    values: t.values,
    duration: t.duration ?? null,
    model: t.artifacts['model'] ?? null,
    attempts: t.attempts,
  };
}

/**
 * The trials as a text table (number, state, objectives, duration, reason) and the front below it.
 *
 * @example
 * process.stdout.write(formatSummary(await summarizeStudy(store, study)));
 */
export function formatSummary(s: StudySummary): string {
  const names = s.objectives.map((o) => o.name);
  const head = ['#', 'state', ...names.map((n, i) => `${n} (${s.objectives[i]!.direction})`), 'seconds', 'reason'];
  const fmt = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '-' : Number.isInteger(x) ? x.toLocaleString('en-US') : x.toPrecision(4));
  const secs = (x: number | null) => (x === null ? '-' : x.toFixed(1));
  const rowsOf = (ts: TrialRow[]) => ts.map((t) => [String(t.number), t.state, ...names.map((n) => fmt(t.objectives?.[n] ?? t.values[n])), secs(t.duration), (t.reason ?? '').slice(0, 80)]);
  const table = (rows: string[][]) => {
    const w = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
    return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(w[c]!))).join('  ').trimEnd()).join('\n') + '\n';
  };
  const c = s.counts;
  let out = `study ${s.study}: ${c.total} trials (${c.complete} complete, ${c.pruned} pruned, ${c.failed} failed, ${c.infeasible} infeasible, ${c.running} running)\n`;
  out += table([head, ...rowsOf(s.trials)]);
  out += `\nPareto front (${s.pareto.length}), hypervolume ${fmt(s.hypervolume)} against (${s.reference.map((r) => fmt(r)).join(', ')}):\n`;
  out += s.pareto.length > 0 ? table([['#', ...names, 'model'], ...s.pareto.map((t) => [String(t.number), ...names.map((n) => fmt(t.objectives?.[n])), t.model ?? '-'])]) : '(no feasible complete trial yet)\n';
  return out;
}
