import type { StudyView, TrialView } from './api.ts';

/**
 * The trials on the study's Pareto front: complete, within every limit, not dominated over
 * the study's objectives (the server's rule, recomputed here as live trials arrive).
 *
 * @example
 * frontIds(trials, study).has(7);
 */
export function frontIds(trials: TrialView[], study: Pick<StudyView, 'objectives'>): Set<number> {
  const names = study.objectives.map((o) => o.name);
  const sign = study.objectives.map((o) => (o.direction === 'max' ? -1 : 1));
  const feasible = trials
    .filter((t) => t.state === 'complete' && (t.constraintViolation ?? 0) <= 0 && t.objectives !== null)
    .map((t) => ({ id: t.id, v: names.map((n, j) => sign[j]! * (t.objectives![n] ?? NaN)) }))
    .filter((p) => p.v.every(Number.isFinite));
  const dominates = (a: number[], b: number[]) => a.every((x, j) => x <= b[j]!) && a.some((x, j) => x < b[j]!);
  return new Set(feasible.filter((p) => !feasible.some((q) => q !== p && dominates(q.v, p.v))).map((p) => p.id));
}

/**
 * A trial's value on an axis: an objective, a measured value, or its duration.
 *
 * @example
 * axisValue(trial, 'macs'); // 25408
 */
export function axisValue(t: TrialView, key: string): number | undefined {
  const v = key === 'duration' ? t.duration : (t.objectives?.[key] ?? t.values[key]);
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/**
 * The axes the scatter offers: the objectives first, then every measured value, then duration.
 *
 * @example
 * axisKeys(trials, ['accuracy', 'macs']); // ['accuracy', 'macs', 'bytesFp32', ..., 'duration']
 */
export function axisKeys(trials: TrialView[], objectives: string[]): string[] {
  const measured = new Set<string>();
  for (const t of trials) if (t.state === 'complete') for (const [k, v] of Object.entries(t.values)) if (typeof v === 'number') measured.add(k);
  return [...objectives, ...[...measured].filter((k) => !objectives.includes(k)).sort(), 'duration'];
}
