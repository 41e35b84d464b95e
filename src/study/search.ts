import type { ModelEvaluator } from '../evaluate/index.ts';
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DistilleryError } from '../core/errors.ts';
import type { Reporter } from '../core/events.ts';
import { silentReporter } from '../core/events.ts';
import { applyOverrides, readConfigFile, validateConfig } from '../config/index.ts';
import { parseObjectives } from '../search/index.ts';
import { openStore } from '../store/index.ts';
import type { Store } from '../store/index.ts';
import { studyConfigSchema } from './config.ts';
import type { StudyConfig } from './config.ts';
import type { Executor, FrozenStudy } from './executor.ts';
import { PoolExecutor } from './executors/pool.ts';
import { RedisExecutor } from './executors/redis.ts';
import { runStudy } from './loop.ts';
import { prepareStudy } from './setup.ts';
import type { StudySetup } from './setup.ts';
import { summarizeStudy } from '../store/index.ts';
import type { StudySummary } from '../store/index.ts';

/** Options of {@link search}: what `distillery search` takes. */
export interface SearchOptions {
  /** The study config file (optional with `resume`: the store keeps the config). */
  config?: string;
  /** The study store (SQLite file), created when absent. */
  store: string;
  resume?: boolean;
  /** `--set key=value` overrides. */
  sets?: readonly string[];
  /** Config keys from flags (`seed`, `backend`, `threads`). */
  overrides?: Record<string, unknown>;
  /** Read objectives from this CSV instead of training (`--table`), with `objectives` naming its columns. */
  table?: string;
  /** `col:max,col2:min` (`--objectives`). */
  objectives?: string;
  reporter?: Reporter;
  /**
   * Local worker processes (`--workers N`), each training one trial at a time with its own
   * engine (1 thread unless `overrides.threads` says otherwise). With `executor`: the trials
   * kept in flight on the Redis queue (default 2).
   */
  workers?: number;
  /** `redis://[:password@]host:port[/db]` (`--executor`): trials go to `distillery worker` processes through BullMQ. */
  executor?: string;
}

/** What the store keeps as a study's config: the validated config and where its relative paths start. */
interface Frozen {
  baseDir: string;
  config: StudyConfig;
  /** The teacher on the candidates' terms (held-out accuracy, size), measured once at the start: the reference point of plots. */
  teacherMetrics?: Record<string, number>;
}

/**
 * `distillery search` as a function: reads and checks the config, refuses a store that is not a
 * study or already holds this study (unless resuming), loads data and teacher once, runs the
 * loop, and returns the summary (front, counts, hypervolume). With `resume`, the config frozen in
 * the store is used (a `config` given too only names the study; a warning says if it differs).
 * Trials run inline by default, on `workers` local processes, or on remote workers through
 * Redis (`executor`); the `done` event names the executor and its capacity.
 *
 * @example
 * const summary = await search({ config: 'examples/mnist-search.yaml', store: 'runs/mnist.db', reporter });
 * summary.pareto.map((t) => [t.objectives, t.model]);
 */
export async function search(opts: SearchOptions): Promise<StudySummary> {
  const report = opts.reporter ?? silentReporter;
  const storePath = resolve(opts.store);
  const exists = existsSync(storePath) && statSync(storePath).size > 0;
  if (opts.resume && !exists) throw new DistilleryError('STORE_NOT_FOUND', `${opts.store}: no study store to resume`, 'run without --resume to start the study', opts.store);
  // An existing file is checked (read-only) before anything else: a non-study is never touched.
  let store: Store | undefined = exists ? await openStore(storePath, { readonly: true }) : undefined;
  let frozen: Frozen;
  try {
    const fromFile = opts.config ? await loadFrozen(opts) : undefined;
    if (opts.resume) {
      const study = await store!.getStudy(fromFile?.config.name);
      if (!study) throw new DistilleryError('STORE_NO_STUDY', `${opts.store}: no study${fromFile ? ` named '${fromFile.config.name}'` : ''} to resume`, 'run without --resume to start it', opts.store);
      frozen = study.config as Frozen;
      if (fromFile && JSON.stringify(fromFile.config) !== JSON.stringify(frozen.config)) {
        report({ event: 'warning', message: `${opts.config} differs from the config stored with study '${study.name}': resuming with the stored one` });
      }
    } else {
      if (!fromFile) throw new DistilleryError('CLI_CONFIG_REQUIRED', 'search needs a config file', 'pass --config FILE, e.g. --config examples/mnist-search.yaml', '--config');
      frozen = fromFile;
      if (store && (await store.getStudy(frozen.config.name))) {
        throw new DistilleryError('STORE_STUDY_EXISTS', `${opts.store}: already holds a study named '${frozen.config.name}'`, 'pass --resume to continue it, or another --store to start afresh', opts.store);
      }
    }
  } finally {
    await store?.close();
    store = undefined;
  }

  const config = validateConfig(studyConfigSchema, frozen.config, opts.store);
  // Redis first, before the data loads: an unreachable server fails at once, with nothing stored.
  let executor = opts.executor === undefined ? undefined : await makeExecutor(opts, { baseDir: frozen.baseDir, config }, storePath, config.name, report);
  let setup: StudySetup | undefined;
  try {
    setup = await prepareStudy(config, { baseDir: frozen.baseDir, reporter: report });
    if (!opts.resume && !config.table && 'teacherMetrics' in setup.evaluator) {
      const teacherMetrics = await (setup.evaluator as ModelEvaluator).teacherMetrics();
      if (teacherMetrics) {
        frozen = { ...frozen, teacherMetrics };
        report({ event: 'info', message: `teacher: ${(100 * teacherMetrics['accuracy']!).toFixed(2)}% on the held-out split the candidates are scored on` });
      }
    }
    executor ??= await makeExecutor(opts, { baseDir: frozen.baseDir, config }, storePath, config.name, report);
    store = await openStore(storePath);
    const artifactsDir = config.artifacts ? resolve(frozen.baseDir, config.artifacts) : undefined;
    return await runStudy({ ...setup, config }, { store, resume: opts.resume ?? false, reporter: report, frozen, ...(artifactsDir ? { artifactsDir } : {}), ...(executor ? { executor } : {}) });
  } finally {
    await executor?.close();
    await store?.close();
    await setup?.dispose();
  }
}

async function makeExecutor(opts: SearchOptions, frozen: FrozenStudy, storePath: string, study: string, reporter: Reporter): Promise<Executor | undefined> {
  const workers = opts.workers;
  if (workers !== undefined && !(Number.isInteger(workers) && workers >= 1)) {
    throw new DistilleryError('CLI_NUMBER', `--workers ${workers}: expected a positive integer`, 'for example --workers 2', '--workers');
  }
  if (opts.executor !== undefined) {
    return RedisExecutor.connect(opts.executor, { frozen, storePath, study, capacity: workers ?? 2, reporter, fresh: opts.resume !== true });
  }
  if (workers === undefined) return undefined;
  const threads = opts.overrides?.['threads'];
  return new PoolExecutor({ frozen, workers, reporter, threads: typeof threads === 'number' ? threads : 1 });
}

async function loadFrozen(opts: SearchOptions): Promise<Frozen> {
  const file = opts.config!;
  const raw = await readConfigFile(file);
  const merged = applyOverrides({ ...raw.value, ...(opts.overrides ?? {}) }, opts.sets ?? []);
  if (opts.table) merged['table'] = { ...((merged['table'] as Record<string, unknown> | undefined) ?? {}), file: resolve(opts.table) };
  if (opts.objectives) merged['objectives'] = parseObjectives(opts.objectives).map((o) => ({ metric: o.column, direction: o.direction }));
  return { baseDir: dirname(resolve(file)), config: validateConfig(studyConfigSchema, merged, file) };
}

/**
 * `distillery search show`: a study's trials, front, counts and hypervolume, read-only.
 *
 * @example
 * const s = await showStudy('runs/mnist.db');
 * console.log(s.counts.complete, s.pareto.length);
 */
export async function showStudy(file: string, name?: string): Promise<StudySummary> {
  const store = await openStore(file, { readonly: true });
  try {
    const study = await store.getStudy(name);
    if (!study) throw new DistilleryError('STORE_NO_STUDY', `${file}: ${name ? `no study named '${name}'` : 'holds no study yet'}`, 'run `distillery search --config FILE --store PATH` first', file);
    return await summarizeStudy(store, study);
  } finally {
    await store.close();
  }
}
