import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DistilleryError } from '../core/errors.ts';
import { silentReporter, type Reporter } from '../core/events.ts';
import { writeJsonAtomic } from '../core/fs.ts';
import { initEngine, type BackendName } from '../engine/index.ts';
import { readLatencyTable } from '../models/latency/index.ts';
import { parseLimits, SearchSpace, strategies, METRICS, type Direction } from '../search/index.ts';
import { openStore, type StudySummary } from '../store/index.ts';
import { runStudy, studyConfigSchema, type StudySetup } from '../study/index.ts';
import { validateConfig } from '../config/index.ts';
import { loadSupernetData } from './data.ts';
import { SubnetEvaluator } from './evaluator.ts';
import { loadSupernet, readManifest } from './folder.ts';
import { searchSpaceDefinition } from './space.ts';

/** Options of {@link searchSupernet}; each overrides the supernet config's `search:` section. */
export interface SupernetSearchOptions {
  /** The folder `supernet train` wrote. */
  supernet: string;
  /** The SQLite study store (created when absent). */
  store: string;
  limits?: string[];
  /** Time each feasible subnet in this runtime (`latencyMs`). */
  runtime?: 'onnx' | 'tfjs-wasm' | 'browser';
  /** A `profile-device` table: `predictedLatencyMs` from the spec alone. */
  predictor?: string;
  /** `metric:max|min` pairs, e.g. `accuracy:max,latencyMs:min`. */
  objectives?: string;
  strategy?: string;
  trials?: number;
  /** Study name (default `<supernet name>-search`). */
  study?: string;
  resume?: boolean;
  seed?: number;
  reporter?: Reporter;
}

/** Where the last search over a supernet folder went, so `supernet extract --trial N` finds it. */
export const LAST_SEARCH = 'last-search.json';

function parseObjectiveList(s: string): { metric: string; direction: Direction }[] {
  return s.split(',').map((part, i) => {
    const m = /^\s*([A-Za-z0-9]+)\s*:\s*(min|max)\s*$/.exec(part);
    if (!m) throw new DistilleryError('SEARCH_OBJECTIVE', `--objectives: '${part}' (item ${i + 1}) is not metric:min or metric:max`, 'for example --objectives accuracy:max,latencyMs:min', '--objectives');
    return { metric: m[1]!, direction: m[2] as Direction };
  });
}

/**
 * `distillery supernet search`: the existing strategies (random, evolution, TPE, NSGA-II) over
 * the subnets of a trained supernet, each candidate scored without training by a
 * {@link SubnetEvaluator} (spec limits first, then BN recalibration and validation, then
 * latency in the target runtime when it counts), through the same study loop and SQLite store
 * as `distillery search`, so `search show`, the dashboard and `report` read it unchanged.
 * Resumable like any study (`resume`).
 *
 * @example
 * const s = await searchSupernet({ supernet: 'runs/supernet', store: 'runs/ofa.db', limits: ['macs<=60000'] });
 * s.pareto.map((t) => t.objectives);
 */
export async function searchSupernet(opts: SupernetSearchOptions): Promise<StudySummary> {
  const report = opts.reporter ?? silentReporter;
  const dir = resolve(opts.supernet);
  const sc0 = readManifest(dir).config;
  const engine = await initEngine({ backend: sc0.backend as BackendName, ...(sc0.threads ? { threads: sc0.threads } : {}) });
  if (engine.fallback) report({ event: 'info', message: `note: ${engine.fallback}` });
  const { manifest, net } = loadSupernet(dir);
  const sc = manifest.config;
  const s = sc.search;
  try {
    const storePath = resolve(opts.store);
    const predictor = opts.predictor ? resolve(opts.predictor) : s.predictor ? resolve(manifest.baseDir, s.predictor.table) : undefined;
    const latency = opts.runtime ? { runtime: opts.runtime, runs: s.latency?.runs ?? 20, warmup: s.latency?.warmup ?? 3, ...(s.latency?.threads ? { threads: s.latency.threads } : {}) } : s.latency;
    const second: { metric: string; direction: Direction } = predictor ? { metric: 'predictedLatencyMs', direction: 'min' } : latency ? { metric: 'latencyMs', direction: 'min' } : { metric: 'macs', direction: 'min' };
    const objectives = opts.objectives ? parseObjectiveList(opts.objectives) : (s.objectives ?? [{ metric: 'accuracy', direction: 'max' }, second]);
    objectives.forEach((o, i) => {
      if (!(METRICS as readonly string[]).includes(o.metric)) throw new DistilleryError('SEARCH_OBJECTIVE', `objectives[${i}]: unknown objective '${o.metric}'`, `use one of: ${METRICS.join(', ')}`, '--objectives');
    });
    const name = opts.study ?? `${sc.name}-search`;
    const config = validateConfig(studyConfigSchema, {
      name, seed: opts.seed ?? sc.seed, backend: sc.backend, space: searchSpaceDefinition(sc.supernet), objectives,
      limits: opts.limits ?? s.limits, strategy: opts.strategy ? { name: opts.strategy } : s.strategy, budget: { trials: opts.trials ?? s.trials },
      ...(latency ? { latency } : {}), ...(predictor ? { predictor: { table: predictor } } : {}),
    }, opts.store);
    const limits = parseLimits(config.limits, 'limits');
    for (const l of limits) {
      if (l.metric === 'latencyMs' && !latency) throw new DistilleryError('SEARCH_LIMIT', `limits: ${l.metric} is measured in a runtime, and none is given`, 'pass --runtime onnx (or tfjs-wasm)', '--runtime');
      if (l.metric === 'predictedLatencyMs' && !predictor) throw new DistilleryError('SEARCH_LIMIT', `limits: ${l.metric} needs a device table`, 'pass --predictor TABLE.json (from distillery profile-device)', '--predictor');
    }
    const exists = existsSync(storePath) && statSync(storePath).size > 0;
    if (opts.resume && !exists) throw new DistilleryError('STORE_NOT_FOUND', `${opts.store}: no study store to resume`, 'run without --resume to start the study', opts.store);

    const data = await loadSupernetData(sc, manifest.baseDir);
    const space = new SearchSpace(config.space, 'space');
    const directions = objectives.map((o) => o.direction);
    const factory = strategies.get(config.strategy.name, '--strategy');
    const makeStrategy = () => factory(space, { ...config.strategy.options, seed: config.seed, directions });
    makeStrategy();
    const evaluator = new SubnetEvaluator({
      net, train: data.train, validation: data.validation, objectives, limits, calibrationSamples: sc.calibration.samples, seed: config.seed, save: { manifest, folder: dir },
      ...(latency ? { latency } : {}), ...(predictor ? { latencyTable: readLatencyTable(predictor) } : {}),
    });
    const setup: StudySetup = {
      name, config, space, objectives: objectives.map((o) => ({ name: o.metric, direction: o.direction })), limits, evaluator, makeStrategy,
      pruner: undefined, maxEpochs: undefined, preRank: undefined, dispose: () => evaluator.dispose(),
    };
    const store = await openStore(storePath);
    try {
      if (!opts.resume && (await store.getStudy(name))) throw new DistilleryError('STORE_STUDY_EXISTS', `${opts.store}: already holds a study named '${name}'`, 'pass --resume to continue it, --study NAME, or another --store', opts.store);
      // The frozen study: the usual { baseDir, config } plus where its supernet is, for extraction.
      const frozen = { baseDir: manifest.baseDir, config, supernet: dir };
      const summary = await runStudy(setup, { store, resume: opts.resume ?? false, reporter: report, frozen });
      writeJsonAtomic(join(dir, LAST_SEARCH), { store: storePath, study: name });
      return summary;
    } finally {
      await store.close();
    }
  } finally {
    net.dispose();
  }
}

/** The store and study of the last search over a supernet folder, if any. */
export function lastSearch(dir: string): { store: string; study: string } | undefined {
  const p = join(dir, LAST_SEARCH);
  return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as { store: string; study: string }) : undefined;
}
