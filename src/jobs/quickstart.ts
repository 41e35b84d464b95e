import { join, resolve } from 'node:path';
import { collectReport, writeReport } from '../deploy/report/index.ts';
import type { DistilleryEvent, Reporter } from '../core/events.ts';
import { silentReporter } from '../core/events.ts';
import { writeJsonAtomic } from '../core/fs.ts';
import type { BackendName } from '../engine/index.ts';
import { mkdirSync } from 'node:fs';
import { loadModel } from '../models/index.ts';
import { evaluate } from '../train/index.ts';
import type { ModelEvaluator } from '../evaluate/index.ts';
import { openStore } from '../store/index.ts';
import type { StudyCounts } from '../store/index.ts';
import { prepareStudy, runStudy, studyConfigSchema } from '../study/index.ts';
import { exportOnnxFolder, variantRows } from '../deploy/onnx/index.ts';
import type { VariantReport } from '../deploy/onnx/index.ts';
import type { ParityReport } from '../onnx/index.ts';
import { resolveOut, train, trainJobSchema } from './train.ts';
import type { TrainResult } from './train.ts';
import { distill, distillJobSchema } from './distill.ts';

/** Options of {@link quickstart}; everything has a default that finishes in a few minutes. */
export interface QuickstartOptions {
  out?: string;
  /** First N MNIST training images (default: all 60,000). */
  limit?: number;
  /** Epochs for the teacher and each student (default 10). */
  epochs?: number;
  backend?: BackendName;
  threads?: number;
  seed?: number;
  /** Trained trials of the small architecture search (default 6). */
  trials?: number;
  reporter?: Reporter;
}

/** The quickstart's small search: where it is stored, what it found. */
export interface QuickstartSearch {
  /** The study store (SQLite) and the folder of the trials' saved models. */
  store: string;
  artifacts: string;
  /** The study config, runnable as `distillery search --config FILE --store OTHER.db`. */
  config: string;
  /** Trained trials (complete, pruned or failed); infeasible candidates are not trained. */
  trials: number;
  counts: StudyCounts;
  /** The hard limit every front member meets, e.g. `macs<=79400`. */
  limit: string;
  /** Non-dominated feasible trials, most accurate first (accuracy = on the validation split). */
  pareto: { trial: number; number: number; objectives: Record<string, number>; model: string | null }[];
  hypervolume: number;
  reference: number[];
  seconds: number;
}

/** The exported student: which model, why, the ONNX files and how they compare. */
export interface QuickstartExport {
  /** `distilled` (the hand-designed student) or `trial N` of the search. */
  source: string;
  model: string;
  why: string;
  /** Validation accuracy (the split every candidate was scored on) and MACs of the chosen model. */
  valAccuracy: number;
  macs: number;
  dir: string;
  files: { fp32: string; int8: string };
  /** fp32 then int8 in onnxruntime: size, accuracy on the 10,000 MNIST test images, drop, latency. */
  variants: VariantReport[];
  /** fp32 ONNX against the TF.js model on every test image: largest logit difference, class agreement. */
  parity: ParityReport;
}

export interface QuickstartResult {
  out: string;
  teacher: TrainResult;
  /** The student trained alone on the hard labels. */
  student: TrainResult;
  /** The same student (same seed, epochs and optimizer) distilled from the teacher. */
  distilled: TrainResult;
  /** Student size as a fraction of the teacher's (params). */
  sizeRatio: number;
  /** Test errors of the distilled student minus those of the student trained alone (negative: distillation helped). */
  gain: number;
  search: QuickstartSearch;
  export: QuickstartExport;
  /** The deployment report: one self-contained HTML page and its Markdown twin. */
  report: { html: string; markdown: string };
}

/** The quickstart's distillation loss: Hinton et al.'s soft targets (T = 4 here) plus a little hard-label cross-entropy. */
export const QUICKSTART_LOSS = [
  { term: 'kd', weight: 0.9, T: 4 },
  { term: 'ce', weight: 0.1 },
];

/** The teacher: the large net of Hinton et al. 2015, 784-1200-1200-10 with dropout. */
export const QUICKSTART_TEACHER = {
  name: 'teacher-mlp-1200',
  blocks: [
    { type: 'flatten' },
    { type: 'dropout', rate: 0.2 },
    { type: 'dense', units: 1200, activation: 'relu' },
    { type: 'dropout', rate: 0.5 },
    { type: 'dense', units: 1200, activation: 'relu' },
    { type: 'dropout', rate: 0.5 },
    { type: 'dense', units: 10 },
  ],
};

/** The student: about 1/30 of the teacher's parameters. */
export const QUICKSTART_STUDENT = {
  name: 'student-mlp-100',
  blocks: [{ type: 'flatten' }, { type: 'dense', units: 100, activation: 'relu' }, { type: 'dense', units: 10 }],
};

/**
 * The search space: MLPs of one or two hidden layers of 16-256 units, and the learning rate. Under
 * the MACs of {@link QUICKSTART_STUDENT} (79,400), 128 units or more in the first layer break the
 * limit: those candidates are recorded as infeasible and never trained.
 */
export const QUICKSTART_SPACE = {
  template: {
    model: {
      blocks: [
        { type: 'flatten' },
        { repeat: { int: [1, 2] }, block: { type: 'dense', units: { choice: [16, 32, 64, 128, 256] }, activation: 'relu' } },
        { type: 'dense', units: 10 }, // the head, written out: a last hidden dense layer would be taken for it
      ],
    },
    train: { lr: { float: [0.01, 0.1], log: true } },
  },
};

/** The search's limit: no candidate may cost more MACs than the hand-designed student (784·100 + 100·10). */
export const QUICKSTART_MACS_LIMIT = 79_400;

/**
 * The main job end to end on MNIST: train a teacher, train a small student alone, distil the
 * same student (same seed, epochs, optimizer) from the teacher, and compare the three; then a
 * small architecture search (distilled candidates under the student's MACs, accuracy against
 * MACs) and the ONNX export (fp32 and int8) of the best model within the limit.
 *
 * @example
 * const r = await quickstart({ epochs: 1, limit: 5000, trials: 4 });
 * console.log(r.teacher.testErrors, r.student.testErrors, r.distilled.testErrors);
 * console.log(r.search.pareto, r.export.source, r.export.files.int8);
 */
export async function quickstart(opts: QuickstartOptions = {}): Promise<QuickstartResult> {
  const reporter = opts.reporter ?? silentReporter;
  const out = resolveOut('quickstart', opts.out, false);
  mkdirSync(out, { recursive: true });
  const epochs = opts.epochs ?? 10;
  const base = {
    seed: opts.seed ?? 1,
    backend: opts.backend ?? 'auto',
    ...(opts.threads ? { threads: opts.threads } : {}),
    data: { source: 'mnist', normalize: 'scale', ...(opts.limit ? { limit: opts.limit, validation: 0.1 } : { validation: 5000 }) },
  };
  // Measured on full MNIST, 10 epochs: the teacher is better with Adam (150 test errors against
  // 170 with SGD), and the 784-100-10 student gains from soft targets only with SGD and momentum
  // as in Hinton et al. 2015 (Adam: 289 alone, 295 distilled; SGD: 239 alone, 208 distilled).
  const teacherSettings = { epochs, batchSize: 128, optimizer: { type: 'adam', lr: 0.001 }, schedule: { type: 'cosine' } };
  const trainSettings = { epochs, batchSize: 128, optimizer: { type: 'sgd', lr: 0.05, momentum: 0.9 }, schedule: { type: 'cosine' } };
  const teacherCfg = trainJobSchema.parse({ ...base, name: 'teacher', model: QUICKSTART_TEACHER, train: teacherSettings });
  const studentCfg = trainJobSchema.parse({ ...base, name: 'student', model: QUICKSTART_STUDENT, train: trainSettings });
  reporter({ event: 'info', message: `quickstart: teacher ${QUICKSTART_TEACHER.name}, student ${QUICKSTART_STUDENT.name} alone and distilled, ${epochs} epoch(s) each, output in ${out}` });
  const teacher = await train(teacherCfg, { out: join(out, 'teacher'), reporter, label: 'teacher' });
  const student = await train(studentCfg, { out: join(out, 'student'), reporter, label: 'student' });
  // The teacher is fresh each time: keep its logits in memory rather than in a disk cache.
  const distillCfg = distillJobSchema.parse({
    ...base, name: 'distilled', model: QUICKSTART_STUDENT, train: trainSettings,
    teacher: { type: 'tfjs', path: teacher.modelDir }, loss: QUICKSTART_LOSS, cache: { enabled: false },
  });
  const d = await distill(distillCfg, { out: join(out, 'distilled'), reporter, label: 'distilled' });

  const found = await quickSearch(out, base, teacher.modelDir, { epochs, trials: opts.trials ?? 6, settings: trainSettings, reporter });
  const exported = await exportBest(out, found, d.student, reporter);
  // The proof: teacher, both students and the search's front side by side, measured in both runtimes.
  reporter({ event: 'info', message: `quickstart: writing the deployment report (accuracy, size, latency on onnx and tfjs-wasm) to ${join(out, 'report.html')}` });
  const data = await collectReport(
    [{ dir: teacher.modelDir, role: 'teacher', label: 'teacher' }, { dir: student.modelDir, label: 'student alone' }, { dir: d.student.modelDir, label: 'student distilled' }, found.search.store],
    { reporter, title: 'distillery quickstart: MNIST' },
  );
  const files = writeReport(data, join(out, 'report.html'));
  return {
    out: resolve(out), teacher, student, distilled: d.student,
    sizeRatio: student.params / teacher.params, gain: d.student.testErrors - student.testErrors,
    search: found.search, export: exported, report: files,
  };
}

/** What the search stage hands to the export stage besides its summary. */
interface Found {
  search: QuickstartSearch;
  /** Validation accuracy of the distilled student, on the split the candidates were scored on. */
  distilledValAccuracy: number;
}

/**
 * The small search: distilled candidates of {@link QUICKSTART_SPACE} from the fresh teacher, on
 * the same data split as the students, for min(epochs, 3) epochs each, TPE over accuracy (max)
 * and MACs (min) under {@link QUICKSTART_MACS_LIMIT}, stored in `<out>/search.db`.
 */
async function quickSearch(
  out: string,
  base: { seed: number; backend: string; threads?: number; data: Record<string, unknown> },
  teacherDir: string,
  o: { epochs: number; trials: number; settings: Record<string, unknown>; reporter: Reporter },
): Promise<Found> {
  const started = Date.now();
  // Three epochs tell the candidates apart; the search then costs about as much as one student.
  const epochs = Math.min(o.epochs, 3);
  const limit = `macs<=${QUICKSTART_MACS_LIMIT}`;
  const config = studyConfigSchema.parse({
    name: 'quickstart-search', seed: base.seed, backend: base.backend, ...(base.threads ? { threads: base.threads } : {}),
    data: base.data, teacher: { type: 'tfjs', path: teacherDir }, loss: QUICKSTART_LOSS, cache: { enabled: false },
    space: QUICKSTART_SPACE, train: { ...o.settings, epochs },
    strategy: { name: 'tpe', options: { startup: Math.max(1, Math.ceil(o.trials / 2)) } },
    objectives: [{ metric: 'accuracy', direction: 'max' }, { metric: 'macs', direction: 'min' }],
    limits: [limit], budget: { trials: o.trials, epochs },
  });
  const configFile = join(out, 'search.json');
  writeJsonAtomic(configFile, config);
  o.reporter({ event: 'info', message: `quickstart: architecture search, ${o.trials} trained candidates of ${epochs} epoch(s), distilled from the teacher, ${limit}, accuracy against MACs, stored in ${join(out, 'search.db')}` });
  // The study's own start and done events would read as the end of the quickstart: its summary
  // goes into the quickstart's done event instead.
  const inner: Reporter = (e: DistilleryEvent) => {
    if (e.event !== 'done' && e.event !== 'start') o.reporter(e);
  };
  const setup = await prepareStudy(config, { baseDir: out, reporter: inner });
  const store = await openStore(join(out, 'search.db'));
  try {
    // Stored as `distillery search` stores a study (config, the folder its paths start from, the
    // teacher's held-out figures), so `search show`, `report` and the dashboard read it alike.
    const teacherMetrics = await (setup.evaluator as ModelEvaluator).teacherMetrics();
    const s = await runStudy(setup, { store, reporter: inner, frozen: { baseDir: out, config, ...(teacherMetrics ? { teacherMetrics } : {}) } });
    const data = (setup.evaluator as ModelEvaluator).data;
    const distilled = await loadModel(join(out, 'distilled', 'model'));
    const distilledValAccuracy = evaluate(distilled, data.validation ?? data.test!).accuracy;
    distilled.dispose();
    return {
      search: {
        store: store.path, artifacts: join(out, 'search.artifacts'), config: configFile,
        trials: s.counts.complete + s.counts.pruned + s.counts.failed, counts: s.counts, limit,
        pareto: s.pareto.map((t) => ({ trial: t.id, number: t.number, objectives: t.objectives!, model: t.model })),
        hypervolume: s.hypervolume, reference: s.reference, seconds: (Date.now() - started) / 1000,
      },
      distilledValAccuracy,
    };
  } finally {
    await store.close();
    await setup.dispose();
  }
}

/**
 * Exports the most accurate model within the limit, judged on the validation split that every
 * candidate and the distilled student were scored on (never on the test set, which only reports):
 * the front's best, or the distilled student when it is at least as good (it trained longer).
 * Writes `<out>/export/model.onnx` and `model.int8.onnx` (int8 calibrated on training images),
 * compares them in onnxruntime on the MNIST test set, with the deploy stage's parity check of
 * fp32 ONNX against TF.js on every test image.
 */
async function exportBest(out: string, found: Found, distilled: TrainResult, reporter: Reporter): Promise<QuickstartExport> {
  const top = found.search.pareto.find((p) => p.model !== null);
  const topAcc = top?.objectives['accuracy'] ?? -Infinity;
  const useTop = top !== undefined && topAcc > found.distilledValAccuracy;
  const pick = useTop
    ? { source: `trial ${top.number}`, model: top.model!, valAccuracy: topAcc, macs: top.objectives['macs']!, why: `the most accurate search candidate within ${found.search.limit} (validation ${pct(topAcc)} against the distilled student's ${pct(found.distilledValAccuracy)})` }
    : { source: 'distilled', model: distilled.modelDir, valAccuracy: found.distilledValAccuracy, macs: distilled.macs, why: `the distilled student is within ${found.search.limit} and at least as accurate on validation (${pct(found.distilledValAccuracy)}) as the search's best (${top ? pct(topAcc) : 'none complete'})` };
  const dir = join(out, 'export');
  reporter({ event: 'info', message: `quickstart: exporting ${pick.source} to ONNX fp32 and int8 in ${dir}: ${pick.why}` });
  const dataConfig = found.search.config;
  const fp32 = await exportOnnxFolder(pick.model, { out: dir, precision: 'fp32', compare: false, dataConfig, reporter });
  const int8 = await exportOnnxFolder(pick.model, { out: dir, precision: 'int8', dataConfig, reporter });
  return { ...pick, dir, files: { fp32: fp32.file, int8: int8.file }, variants: int8.variants, parity: int8.parity! };
}

const pct = (x: number): string => `${(100 * x).toFixed(2)}%`;

/**
 * The search's front and the export's comparison as table cells (header first), for the CLI.
 *
 * @example
 * const { front, variants } = quickstartTables(result);
 * process.stdout.write(table(front) + table(variants));
 */
export function quickstartTables(r: QuickstartResult): { front: string[][]; variants: string[][] } {
  const front = [['trial', 'val accuracy', 'MACs', 'model']];
  for (const p of r.search.pareto) front.push([String(p.number), pct(p.objectives['accuracy']!), p.objectives['macs']!.toLocaleString('en-US'), p.model ?? '-']);
  return { front, variants: variantRows(r.export.variants) };
}
