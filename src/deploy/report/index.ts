/**
 * The deployment report: teacher against students (accuracy, errors, params, MACs, bytes
 * fp32/int8, latency per runtime), the Pareto front as a scatter plot and bars for size and
 * latency, as one self-contained HTML file and a Markdown twin.
 *
 * @example
 * import { collectReport, writeReport } from './deploy/report/index.ts';
 * writeReport(await collectReport(['runs/quickstart']), 'runs/quickstart/report.html');
 */
export { collectReport, reportSummary } from './collect.ts';
export type { CollectOptions } from './collect.ts';
export { classifyInput, modelDirOf, reportInputError } from './inputs.ts';
export type { FoundModel, InputKind, ReportInput } from './inputs.ts';
export { evaluateOn, exportedFiles, measureLatencies, runDataSource, runMetricsAccuracy, TestSets } from './measure.ts';
export type { DataSource, LatencySettings } from './measure.ts';
export { readStudy } from './study.ts';
export type { StudyInput } from './study.ts';
export { frontOf, metricOf, scatterOf, scatterSvg } from './scatter.ts';
export type { Scatter, ScatterPoint } from './scatter.ts';
export { barsSvg, latencyBars, sizeBars } from './bars.ts';
export type { Bar, BarChart } from './bars.ts';
export { modelTable, orderModels, summaryLine } from './table.ts';
export type { ModelTable } from './table.ts';
export { renderHtml } from './html.ts';
export { renderMarkdown } from './markdown.ts';
export { writeReport } from './write.ts';
export { escapeHtml, escapeMarkdown, formatBytes, formatCount, formatMetric, formatMs, formatPercent, metricLabel } from './format.ts';
export type { AccuracySource, ReportAccuracy, ReportData, ReportLatency, ReportModel, ReportStudy, ReportSummary } from './types.ts';
