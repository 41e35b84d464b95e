/**
 * Hinton, Vinyals & Dean 2015, "Distilling the Knowledge in a Neural Network", §3 (MNIST):
 *
 * - teacher 784-1200-1200-10, dropout 0.2 on the input and 0.5 on the hidden layers, max-norm
 *   3.5 on every unit's incoming weights, inputs jittered by up to ±2 pixels;
 * - student 784-800-800-10 with no regularisation, trained on the hard labels;
 * - the same student distilled: weight 0.9 on the soft targets at T = 20 (the kd term carries
 *   the T² factor) and 0.1 on the hard labels, teacher logits computed once over the
 *   un-jittered training set.
 *
 * All three use SGD with momentum 0.9, lr 0.05 on a cosine schedule, batch 128; the teacher
 * trains 60 epochs and the students 30. The paper reports 67 / 146 / 74 test errors. Each stage
 * is a real `train`/`distill` job in its own folder under --out (with checkpoints, so
 * `--resume` continues an interrupted run, and finished stages are not rerun).
 *
 *   npm run repro:hinton [-- --quick] [-- --json] [-- --out DIR] [-- --seed N] [-- --resume]
 *     [-- --limit N] [-- --teacher-epochs N] [-- --student-epochs N] [-- --backend B] [-- --threads N]
 *
 * `--quick`: the first 10,000 training images, 12 teacher and 5 student epochs (about 100k
 * teacher and 50k student sample passes: a few minutes on 2 idle cores). The students are
 * short of converged there and the teacher is far better than them, so the distilled student
 * beats the same student trained alone by a wide margin: teacher / alone / distilled test
 * errors 369 / 532 / 454 with seed 1, 333 / 525 / 447 with seed 2.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DistilleryError, isDistilleryError } from '../src/core/errors.ts';
import type { Reporter } from '../src/core/events.ts';
import { writeJsonAtomic } from '../src/core/fs.ts';
import { train, trainJobSchema } from '../src/jobs/train.ts';
import type { TrainResult } from '../src/jobs/train.ts';
import { distill, distillJobSchema } from '../src/jobs/distill.ts';

/** The paper's numbers (§3), for the side-by-side printout. */
export const PAPER = { teacherErrors: 67, studentErrors: 146, distilledErrors: 74 } as const;

/** The teacher: 784-1200-1200-10 with dropout 0.2 (input) / 0.5 (hidden) and max-norm 3.5. */
export const TEACHER = {
  name: 'hinton-teacher-1200',
  blocks: [
    { type: 'flatten' },
    { type: 'dropout', rate: 0.2 },
    { type: 'dense', units: 1200, activation: 'relu', maxNorm: 3.5 },
    { type: 'dropout', rate: 0.5 },
    { type: 'dense', units: 1200, activation: 'relu', maxNorm: 3.5 },
    { type: 'dropout', rate: 0.5 },
    { type: 'dense', units: 10, maxNorm: 3.5 },
  ],
};

/** The student: 784-800-800-10, no regularisation. */
export const STUDENT = {
  name: 'hinton-student-800',
  blocks: [{ type: 'flatten' }, { type: 'dense', units: 800, activation: 'relu' }, { type: 'dense', units: 800, activation: 'relu' }, { type: 'dense', units: 10 }],
};

/** Soft targets at T = 20 with weight 0.9 (kd includes T²), hard labels 0.1. */
export const LOSS = [
  { term: 'kd', weight: 0.9, T: 20 },
  { term: 'ce', weight: 0.1 },
];

/** Settings of one reproduction run. */
export interface ReproSettings {
  seed: number;
  /** Training images used (the first N of the 60,000); undefined: all. */
  limit?: number | undefined;
  teacherEpochs: number;
  studentEpochs: number;
  /** The paper's 128; smaller batches give a subset more steps per epoch. */
  batchSize: number;
  backend: string;
  threads?: number | undefined;
}

/** The full run of the paper's setting, and the quick one the tests use. */
export const FULL: ReproSettings = { seed: 1, teacherEpochs: 60, studentEpochs: 30, batchSize: 128, backend: 'auto' };
export const QUICK: ReproSettings = { seed: 1, limit: 10000, teacherEpochs: 12, studentEpochs: 5, batchSize: 128, backend: 'auto' };

/** SGD with momentum 0.9, lr 0.05 (on a cosine schedule), for all three stages. */
export const OPTIMIZER = { type: 'sgd', lr: 0.05, momentum: 0.9 } as const;

function common(s: ReproSettings) {
  return {
    seed: s.seed,
    backend: s.backend,
    ...(s.threads ? { threads: s.threads } : {}),
  };
}

function dataSection(s: ReproSettings, shift: number) {
  return { source: 'mnist', normalize: 'scale', ...(s.limit ? { limit: s.limit } : {}), ...(shift > 0 ? { augment: { shift } } : {}) };
}

function trainSection(epochs: number, batchSize: number) {
  return { epochs, batchSize, optimizer: OPTIMIZER, schedule: { type: 'cosine' } };
}

/** A stage whose model exists is done: its result was written beside it. */
function finished(dir: string): TrainResult | undefined {
  const f = join(dir, 'result.json');
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as TrainResult) : undefined;
}

/** Run (or continue, or reuse) one stage in `dir`. */
async function stage(dir: string, run: (resume: boolean) => Promise<TrainResult>): Promise<TrainResult> {
  const done = finished(dir);
  if (done) return done;
  const r = await run(existsSync(join(dir, 'checkpoint', 'manifest.json')));
  writeJsonAtomic(join(dir, 'result.json'), r);
  return r;
}

/** What a reproduction run reports (and writes to `results.json`). */
export interface ReproResult {
  settings: ReproSettings;
  teacherErrors: number;
  studentErrors: number;
  distilledErrors: number;
  testSamples: number;
  paper: typeof PAPER;
  seconds: { teacher: number; student: number; distilled: number; total: number };
  engine: TrainResult['engine'];
  out: string;
}

/**
 * Run the three stages into `out` and return their test errors.
 *
 * @example
 * const r = await reproHinton(QUICK, 'runs/repro-quick');
 * r.distilledErrors < r.studentErrors; // true
 */
export async function reproHinton(s: ReproSettings, out: string, reporter: Reporter = () => {}): Promise<ReproResult> {
  const t0 = Date.now();
  const dir = resolve(out);
  const teacherDir = join(dir, 'teacher');
  const teacher = await stage(teacherDir, (resume) =>
    train(trainJobSchema.parse({ ...common(s), name: 'teacher', data: dataSection(s, 2), model: TEACHER, train: trainSection(s.teacherEpochs, s.batchSize) }), { out: teacherDir, resume, reporter, label: 'teacher' }),
  );
  const studentDir = join(dir, 'student');
  const student = await stage(studentDir, (resume) =>
    train(trainJobSchema.parse({ ...common(s), name: 'student', data: dataSection(s, 0), model: STUDENT, train: trainSection(s.studentEpochs, s.batchSize) }), { out: studentDir, resume, reporter, label: 'student' }),
  );
  const distilledDir = join(dir, 'distilled');
  const distilled = await stage(distilledDir, async (resume) => {
    const config = distillJobSchema.parse({
      ...common(s), name: 'distilled', data: dataSection(s, 0), model: STUDENT, train: trainSection(s.studentEpochs, s.batchSize),
      teacher: { type: 'tfjs', path: teacher.modelDir }, loss: LOSS, cache: { dir: join(dir, 'cache') },
    });
    return (await distill(config, { out: distilledDir, resume, reporter, label: 'distilled' })).student;
  });
  const result: ReproResult = {
    settings: s,
    teacherErrors: teacher.testErrors,
    studentErrors: student.testErrors,
    distilledErrors: distilled.testErrors,
    testSamples: distilled.testSamples,
    paper: PAPER,
    // stages reused from an earlier run count with the time they took then
    seconds: { teacher: teacher.seconds, student: student.seconds, distilled: distilled.seconds, total: Math.max((Date.now() - t0) / 1000, teacher.seconds + student.seconds + distilled.seconds) },
    engine: distilled.engine,
    out: dir,
  };
  writeJsonAtomic(join(dir, 'results.json'), result);
  return result;
}

function positive(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || (n === 0 && name !== 'seed')) {
    throw new DistilleryError('CLI_NUMBER', `--${name} ${v}: expected a ${name === 'seed' ? 'non-negative' : 'positive'} integer`, `for example --${name} 2`, `--${name}`);
  }
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      resume: { type: 'boolean', default: false },
      out: { type: 'string' },
      seed: { type: 'string' },
      limit: { type: 'string' },
      'teacher-epochs': { type: 'string' },
      'student-epochs': { type: 'string' },
      'batch-size': { type: 'string' },
      backend: { type: 'string' },
      threads: { type: 'string' },
    },
  });
  const base = values.quick ? QUICK : FULL;
  const limit = positive('limit', values.limit);
  const seed = positive('seed', values.seed);
  const te = positive('teacher-epochs', values['teacher-epochs']);
  const se = positive('student-epochs', values['student-epochs']);
  const threads = positive('threads', values.threads);
  const bs = positive('batch-size', values['batch-size']);
  const s: ReproSettings = {
    ...base,
    ...(seed !== undefined ? { seed } : {}),
    ...(limit !== undefined ? { limit } : {}),
    ...(te !== undefined ? { teacherEpochs: te } : {}),
    ...(se !== undefined ? { studentEpochs: se } : {}),
    ...(bs !== undefined ? { batchSize: bs } : {}),
    ...(values.backend ? { backend: values.backend } : {}),
    ...(threads !== undefined ? { threads } : {}),
  };
  const out = values.out ?? join('runs', `repro-hinton${values.quick ? '-quick' : ''}-seed${s.seed}`);
  if (existsSync(join(out, 'results.json')) && !values.resume) {
    throw new DistilleryError('OUT_EXISTS', `${resolve(out)}: a finished reproduction is there`, 'pass another --out, or --resume to print its results again', out);
  }
  const progress: Reporter = values.json
    ? (e) => process.stdout.write(JSON.stringify(e) + '\n')
    : (e) => {
        if (e.event === 'epoch') process.stderr.write(`${String(e['label'] ?? '')} epoch ${e.epoch}/${e.epochs}  loss ${Number(e['loss']).toFixed(4)}  acc ${Number(e['accuracy']).toFixed(4)}  ${Math.round(Number(e['samplesPerSec']))} samples/s\n`);
        else if (e.event === 'info') process.stderr.write(`${e.message}\n`);
      };
  const r = await reproHinton(s, out, progress);
  if (values.json) {
    process.stdout.write(JSON.stringify({ event: 'done', teacherErrors: r.teacherErrors, studentErrors: r.studentErrors, distilledErrors: r.distilledErrors, testSamples: r.testSamples, seconds: r.seconds.total, settings: r.settings, results: join(r.out, 'results.json') }) + '\n');
  } else {
    const rows = [
      ['', 'teacher', 'student alone', 'student distilled'],
      ['distillery (test errors)', String(r.teacherErrors), String(r.studentErrors), String(r.distilledErrors)],
      ['Hinton et al. 2015', String(PAPER.teacherErrors), String(PAPER.studentErrors), String(PAPER.distilledErrors)],
    ];
    const w = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
    for (const row of rows) process.stdout.write(row.map((cell, c) => (c === 0 ? cell.padEnd(w[c]!) : cell.padStart(w[c]!))).join('  ') + '\n');
    process.stdout.write(`seed ${s.seed}, ${s.limit ?? 60000} training images, teacher ${s.teacherEpochs} epochs, students ${s.studentEpochs}; ${(r.seconds.total / 60).toFixed(1)} min on ${r.engine.backend} (${r.engine.threads} threads)\n`);
    process.stdout.write(`results in ${join(r.out, 'results.json')}\n`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e: unknown) => {
    if (isDistilleryError(e)) {
      process.stderr.write(e.toLine() + '\n');
      process.exitCode = 2;
    } else {
      process.stderr.write(`error INTERNAL: ${(e as Error).stack ?? String(e)}\n`);
      process.exitCode = 1;
    }
  });
}
