import { basename, dirname } from 'node:path';
import type { Reporter } from '../../core/events.ts';
import { silentReporter } from '../../core/events.ts';
import { initEngine } from '../../engine/index.ts';
import { readModelInputs, textWithTokenizer } from '../../data/index.ts';
import type { Normalization } from '../../data/index.ts';
import { costOfResolved, describeModel, METADATA_KEY, specFromModel } from '../../models/index.ts';
import type { ResolvedModelSpec } from '../../models/index.ts';
import type { TextTokenizer } from '../../tokenizers/index.ts';
import { NODE_RUNTIMES, runtimeName, type RuntimeName } from '../bench/runners.ts';
import { loadModelFolder } from '../onnx/job.ts';
import { classifyInput, modelDirOf, reportInputError, type FoundModel, type ReportInput } from './inputs.ts';
import { evaluateOn, exportedFiles, measureLatencies, runDataSource, runMetricsAccuracy, TestSets, type DataSource } from './measure.ts';
import { frontOf } from './scatter.ts';
import { readStudy } from './study.ts';
import type { ReportData, ReportModel, ReportStudy, ReportSummary, ReportText } from './types.ts';

/** Options of {@link collectReport}. */
export interface CollectOptions {
  /** Runtimes to time on (default onnx and tfjs-wasm; `browser` on request); `BENCH_RUNTIME` for an unknown one. */
  runtimes?: readonly string[];
  /** Measure latency (default true). */
  latency?: boolean;
  /** Untimed runs before timing (default 20). */
  warmup?: number;
  /** Timed runs (default 100). */
  iterations?: number;
  /** Runtime threads while timing and evaluating (default 1). */
  threads?: number;
  /** A teacher model folder (or run folder) to compare with. */
  teacher?: string;
  /** Re-evaluate every model on the first N test samples (instead of the runs' logged scores). */
  testLimit?: number;
  /** A config whose `data:` section names the test data, for models whose data is unknown. */
  data?: DataSource;
  /** The study to read from a store holding several (default the latest). */
  study?: string;
  title?: string;
  seed?: number;
  reporter?: Reporter;
}

interface Pending extends FoundModel {
  trial?: number;
  objectives?: Record<string, number>;
  source?: DataSource;
}

interface Meta {
  normalization?: Normalization;
  teacher?: unknown;
}

/**
 * Gathers everything a deployment report shows: for each model (a study's Pareto front, model
 * folders, run folders such as the quickstart's output, and the teacher) its role, accuracy and
 * errors on the test split (from the run's logged scores, or re-evaluated with the model's saved
 * normalisation; the report says which), params, MACs, bytes fp32/int8, latency p50/p95 at
 * batch 1 per runtime measured now, exported files, and a study's objectives and trials.
 * `REPORT_INPUT` for a path that is none of these.
 *
 * @example
 * const data = await collectReport(['runs/quickstart'], { runtimes: ['onnx'], iterations: 50 });
 * writeReport(data, 'runs/quickstart/report.html');
 * // the quickstart, with the models it just trained:
 * await collectReport([{ dir: teacher.modelDir, role: 'teacher', label: 'teacher' }, { dir: d.modelDir, label: 'distilled' }]);
 */
export async function collectReport(inputs: readonly ReportInput[], opts: CollectOptions = {}): Promise<ReportData> {
  const report = opts.reporter ?? silentReporter;
  const runtimes: RuntimeName[] = [...new Set((opts.runtimes ?? NODE_RUNTIMES).map((r) => runtimeName(r, '--runtime')))];
  const measure = opts.latency ?? true;
  const warmup = opts.warmup ?? 20;
  const iterations = opts.iterations ?? 100;
  const threads = opts.threads ?? 1;
  const notes: string[] = [];
  // Every input is classified before anything slow runs, so a bad path fails at once.
  const pending: Pending[] = [];
  const stores: string[] = [];
  for (const input of inputs) {
    if (typeof input !== 'string') {
      const dir = modelDirOf(input.dir);
      if (!dir) throw reportInputError(input.dir, 'no model.json in it or in its model/');
      const runDir = basename(dir) === 'model' ? dirname(dir) : undefined;
      pending.push({ dir, label: input.label ?? basename(runDir ?? dir), ...(input.role ? { role: input.role } : {}), ...(runDir ? { runDir } : {}) });
      continue;
    }
    const c = classifyInput(input);
    if (c.kind === 'store') stores.push(c.path);
    else pending.push(...c.models);
  }
  const teacherInput = opts.teacher !== undefined ? classifyInput(opts.teacher) : undefined;
  let study: ReportStudy | undefined;
  let studyTeacher: string | undefined;
  for (const file of stores) {
    const s = await readStudy(file, opts.study);
    if (study) notes.push(`${file}: only the first study store is plotted; its front models are listed`);
    study ??= s.study;
    studyTeacher ??= s.teacher;
    notes.push(...s.notes);
    pending.push(...s.models.map((m) => ({ ...m, ...(s.data ? { source: s.data } : {}) })));
  }
  if (teacherInput?.kind === 'models') pending.unshift(...teacherInput.models.map((m) => ({ ...m, role: 'teacher' as const })));
  else if (teacherInput) notes.push('--teacher names a study store: pass a model or run folder');
  else if (studyTeacher) pending.unshift({ dir: studyTeacher, label: 'teacher', role: 'teacher', ...(basename(studyTeacher) === 'model' ? { runDir: dirname(studyTeacher) } : {}) });
  const seen = new Set<string>();
  const deduped = pending.filter((p) => (seen.has(p.dir) ? false : (seen.add(p.dir), true)));
  // teachers first, as the table lists them
  const unique = [...deduped.filter((p) => p.role === 'teacher'), ...deduped.filter((p) => p.role !== 'teacher')];
  const labels = new Map<string, number>();
  for (const p of unique) {
    const n = labels.get(p.label) ?? 0;
    labels.set(p.label, n + 1);
    if (n > 0) p.label = `${p.label} (${n + 1})`;
  }

  await initEngine({ backend: 'wasm', threads });
  const sets = new TestSets(opts.testLimit);
  const models: ReportModel[] = [];
  for (const p of unique) {
    report({ event: 'info', message: `report: ${p.label} (${p.dir})` });
    models.push(await describe(p, { sets, testLimit: opts.testLimit, data: opts.data }));
  }
  if (measure) {
    for (const m of models) {
      report({ event: 'info', message: `report: timing ${m.label} on ${runtimes.join(', ')} (${iterations} runs)` });
      m.latency = await measureLatencies(m.dir, { runtimes, warmup, iterations, threads, ...(opts.seed !== undefined ? { seed: opts.seed } : {}) });
    }
  }
  if (!study) {
    const { front } = frontOf(models, runtimes.find((r) => models.some((m) => m.latency[r])));
    for (const m of models) if (m.role === 'student' && m.accuracy) m.front = front.has(m);
  }
  const summary = reportSummary(models, runtimes);
  return {
    title: opts.title ?? (study ? `Deployment report: study ${study.name}` : 'Deployment report'),
    created: new Date().toISOString(),
    inputs: inputs.map((i) => (typeof i === 'string' ? i : i.dir)),
    runtimes,
    ...(measure ? { latency: { batch: 1 as const, warmup, iterations, threads } } : {}),
    models,
    ...(study ? { study } : {}),
    ...(summary ? { summary } : {}),
    notes,
  };
}

async function describe(p: Pending, ctx: { sets: TestSets; testLimit: number | undefined; data: DataSource | undefined }): Promise<ReportModel> {
  const model = await loadModelFolder(p.dir);
  try {
    const meta = ((model.getUserDefinedMetadata() as Record<string, unknown> | undefined)?.[METADATA_KEY] ?? {}) as Meta;
    const out: ReportModel = { label: p.label, role: p.role ?? 'student', dir: p.dir, latency: {}, files: exportedFiles(p.dir), notes: [] };
    if (p.trial !== undefined) out.trial = p.trial;
    if (p.objectives) out.objectives = p.objectives;
    if (p.trial !== undefined) out.front = true;
    const tokenizer = readModelInputs(p.dir).tokenizer;
    const text = tokenizer ? textInput(tokenizer, model.inputs[0]!.shape[1]) : undefined;
    if (text) out.text = text;
    try {
      const spec = specFromModel(model);
      const cost = costOfResolved(spec);
      out.arch = spec.name ?? shortArchitecture(spec);
      out.params = cost.params;
      out.macs = cost.macs;
      out.bytes = cost.bytes;
    } catch {
      out.params = model.countParams();
      out.notes.push('no distillery spec in the model: MACs and bytes unknown');
    }
    const logged = p.runDir && ctx.testLimit === undefined ? runMetricsAccuracy(p.runDir) : undefined;
    if (logged) {
      out.accuracy = logged;
    } else {
      const src = p.source ?? (p.runDir ? runDataSource(p.runDir) : undefined) ?? ctx.data;
      const data = src ? await ctx.sets.get(src) : undefined;
      // a text model reads the test texts with its own tokenizer.json at its own length (the data
      // config alone may rebuild another vocabulary: it depends on the split's seed and limits)
      const test = data?.text && tokenizer && text ? textWithTokenizer(data, tokenizer, text.maxLength) : data;
      if (test) out.accuracy = evaluateOn(model, test, meta.normalization);
      else out.notes.push(src ? 'its data has no test split: accuracy unknown' : 'its training data is not known (no run config.json, no study): accuracy unknown; pass --data CONFIG');
    }
    return out;
  } finally {
    model.dispose();
  }
}

/**
 * A text model's input as the report shows it, from the `tokenizer.json` beside it and the
 * model's input length.
 *
 * @example
 * textInput(readModelInputs('runs/spam/model').tokenizer!, 64); // { maxLength: 64, tokenizer: 'WordPiece', vocabSize: 2000 }
 */
export function textInput(tok: TextTokenizer, inputLength: number | null | undefined): ReportText {
  const truncation = (tok.json['truncation'] as { max_length?: number } | null | undefined)?.max_length;
  const kind = (tok.json.model as { type?: unknown }).type;
  return { maxLength: inputLength ?? truncation ?? 0, tokenizer: typeof kind === 'string' ? kind : 'unknown', vocabSize: tok.vocabSize };
}

/**
 * The headline numbers: the most accurate student (the smaller one on a tie) against the first
 * teacher: accuracy kept, size ratios, speed-up per runtime. Undefined without a teacher or a
 * student with a known accuracy.
 *
 * @example
 * reportSummary(data.models, ['onnx'])?.speedup.onnx; // 14.2
 */
export function reportSummary(models: readonly ReportModel[], runtimes: readonly RuntimeName[]): ReportSummary | undefined {
  const teacher = models.find((m) => m.role === 'teacher');
  const students = models.filter((m) => m.role === 'student' && m.accuracy);
  if (!teacher || students.length === 0) return undefined;
  const best = students.reduce((a, b) => (b.accuracy!.value > a.accuracy!.value || (b.accuracy!.value === a.accuracy!.value && (b.bytes?.fp32 ?? Infinity) < (a.bytes?.fp32 ?? Infinity)) ? b : a));
  const s: ReportSummary = { teacher: teacher.label, student: best.label, speedup: {} };
  if (teacher.accuracy) {
    s.accuracyKept = best.accuracy!.value / teacher.accuracy.value;
    s.accuracyDelta = 100 * (best.accuracy!.value - teacher.accuracy.value);
  }
  if (teacher.bytes && best.bytes) {
    s.sizeRatioFp32 = best.bytes.fp32 / teacher.bytes.fp32;
    s.sizeRatioInt8 = best.bytes.int8 / teacher.bytes.fp32;
  }
  for (const r of runtimes) {
    const a = teacher.latency[r];
    const b = best.latency[r];
    if (a && b) s.speedup[r] = a.p50Ms / b.p50Ms;
  }
  return s;
}

/**
 * A one-line name for a model whose spec has none (a search trial's): each block's kind and
 * width, e.g. `conv2d 8 → mbconv 16 → globalavgpool → dense 10`; shape-only blocks left out.
 */
function shortArchitecture(spec: ResolvedModelSpec): string {
  const skip = new Set(['flatten', 'dropout', 'activation', 'batchnorm']);
  return describeModel(spec).slice(0, -1).map((r) => r.block.split(' ').slice(0, 2).join(' ')).filter((b) => !skip.has(b.split(' ')[0]!)).join(' → ');
}
