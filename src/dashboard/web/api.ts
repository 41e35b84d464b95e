import type { StudyListItem, StudyView, TrialDetail, TrialView } from '../api.ts';

export type { StudyListItem, StudyView, TrialDetail, TrialView };

/** Per-trial, per-epoch values, as `GET /api/studies/:id/metrics` answers (keyed by trial id). */
export type StudyMetrics = Record<string, { step: number; values: Record<string, number> }[]>;

// The token comes in the page's own URL (`?token=`, as the CLI prints it) and goes with every
// request; the server also sets a cookie from it so the page's assets load.
const token = new URLSearchParams(location.search).get('token');

function withToken(path: string): string {
  return token ? `${path}${path.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}` : path;
}

/**
 * GETs one of the dashboard's JSON routes.
 *
 * @example
 * const studies = await getJson<StudyListItem[]>('/api/studies');
 */
export async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(withToken(path), { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  if (!res.ok) {
    const body = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
    throw new Error(body?.error?.message ?? `${path}: HTTP ${res.status}`);
  }
  return (await res.json()) as T;
}

/**
 * The live feed of a study (server-sent events: `ready`, `trial`, `metrics`).
 *
 * @example
 * const es = studyEvents(1); es.addEventListener('trial', (e) => ...);
 */
export function studyEvents(studyId: number): EventSource {
  return new EventSource(withToken(`/api/studies/${studyId}/events`));
}
