/**
 * The dashboard: a read-only HTTP server over a study store (JSON API, server-sent events for
 * live updates) and the page built from `web/` by Vite.
 *
 * @example
 * import { startDashboard } from './dashboard/index.ts';
 * const d = await startDashboard({ store: 'runs/study.db' });
 * console.log(d.url); // http://127.0.0.1:8765/
 */
export { startDashboard, safePath } from './server.ts';
export type { Dashboard, DashboardOptions } from './server.ts';
export { listStudiesView, studyMetricsView, studyView, teacherOf, trialDetail, trialsView, trialView } from './api.ts';
export type { StudyListItem, StudyView, TeacherInfo, TrialDetail, TrialView } from './api.ts';
export { architectureOf } from './architecture.ts';
export type { Architecture, ArchitectureBlock } from './architecture.ts';
export { StudyWatcher } from './live.ts';
export type { LiveEvent } from './live.ts';
export { defaultWebRoot, loadStaticFiles } from './static.ts';
export { isLoopback } from './auth.ts';
