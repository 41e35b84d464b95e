import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type * as tfl from '@tensorflow/tfjs-layers';
import { DistilleryError } from '../../core/errors.ts';
import { loadData, noNormalization, normalize, parseDataConfig } from '../../data/index.ts';
import type { Dataset, Normalization } from '../../data/index.ts';
import { evaluate } from '../../train/index.ts';
import { bench } from '../bench/bench.ts';
import type { RuntimeName } from '../bench/runners.ts';
import type { ReportAccuracy, ReportLatency } from './types.ts';

/**
 * The test scores a run logged in its `metrics.jsonl` (the `test` line `distillery train` and
 * `distill` append), or undefined when the run has none.
 *
 * @example
 * runMetricsAccuracy('runs/quickstart/teacher')?.errors; // 151
 */
export function runMetricsAccuracy(runDir: string): ReportAccuracy | undefined {
  const file = join(runDir, 'metrics.jsonl');
  if (!existsSync(file)) return undefined;
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');
  for (let i = lines.length - 1; i >= 0; i--) {
    let e: Record<string, unknown>;
    try {
      e = JSON.parse(lines[i]!) as Record<string, unknown>;
    } catch {
      continue;
    }
    if (e['event'] !== 'test' || typeof e['accuracy'] !== 'number' || typeof e['n'] !== 'number') continue;
    const on = e['evaluatedOn'] === 'validation' || e['evaluatedOn'] === 'train' ? e['evaluatedOn'] : 'test';
    return { value: e['accuracy'], errors: Number(e['errors'] ?? Math.round((1 - e['accuracy']) * e['n'])), samples: e['n'], on, from: 'run metrics' };
  }
  return undefined;
}

/** A `data:` section and the folder its relative paths start from. */
export interface DataSource {
  data: Record<string, unknown>;
  baseDir: string;
}

/**
 * Loads the test splits named by `data:` sections, once each: raw values (never normalised
 * here: each model applies the statistics saved with it).
 *
 * @example
 * const sets = new TestSets(2000);
 * const test = await sets.get({ data: { source: 'mnist' }, baseDir: '.' });
 */
export class TestSets {
  private readonly cache = new Map<string, Promise<Dataset | undefined>>();

  constructor(private readonly testLimit?: number) {}

  get(src: DataSource): Promise<Dataset | undefined> {
    const key = JSON.stringify([src.data, src.baseDir]);
    let p = this.cache.get(key);
    if (!p) {
      p = this.load(src);
      this.cache.set(key, p);
    }
    return p;
  }

  private async load(src: DataSource): Promise<Dataset | undefined> {
    // the training part only has to exist: keep it tiny
    const limit = Math.min(Number(src.data['limit'] ?? Infinity), 64);
    const cfg = parseDataConfig({ ...src.data, normalize: 'none', validation: 0, limit, augment: undefined, ...(this.testLimit ? { testLimit: this.testLimit } : {}) });
    const data = await loadData(cfg, { baseDir: src.baseDir, seed: 0 });
    return data.test;
  }
}

/**
 * A model's accuracy and errors on raw test samples, normalised with the model's own saved
 * statistics.
 *
 * @example
 * const acc = evaluateOn(model, test, meta.normalization);
 */
export function evaluateOn(model: tfl.LayersModel, test: Dataset, norm: Normalization | undefined): ReportAccuracy {
  const s = evaluate(model, normalize(test, norm ?? noNormalization), { batchSize: 500 });
  return { value: s.accuracy, errors: s.errors, samples: s.n, on: 'test', from: 're-evaluated' };
}

/** How {@link measureLatencies} times. */
export interface LatencySettings {
  runtimes: readonly RuntimeName[];
  warmup: number;
  iterations: number;
  threads: number;
  seed?: number;
}

/**
 * p50/p95 at batch 1 of a model folder on each runtime, with `bench`.
 *
 * @example
 * await measureLatencies('runs/mlp/model', { runtimes: ['onnx'], warmup: 20, iterations: 100, threads: 1 });
 */
export async function measureLatencies(dir: string, s: LatencySettings): Promise<Partial<Record<RuntimeName, ReportLatency>>> {
  const out: Partial<Record<RuntimeName, ReportLatency>> = {};
  for (const runtime of s.runtimes) {
    const r = await bench(dir, { runtime, batches: [1], warmup: s.warmup, iterations: s.iterations, threads: s.threads, ...(s.seed !== undefined ? { seed: s.seed } : {}) });
    out[runtime] = { p50Ms: r.p50Ms, p95Ms: r.p95Ms };
  }
  return out;
}

/**
 * Files of the export folder beside a model folder (`<run>/export/`, where `distillery export`
 * writes by default), with their sizes; empty when there is none.
 *
 * @example
 * exportedFiles('runs/mlp/model'); // [{ name: 'model.int8.onnx', bytes: 81234 }]
 */
export function exportedFiles(modelDir: string): { name: string; bytes: number }[] {
  const root = join(modelDir, '..', 'export');
  if (!existsSync(root) || !statSync(root).isDirectory()) return [];
  const out: { name: string; bytes: number }[] = [];
  const walk = (d: string, depth: number) => {
    if (depth > 3) return;
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      const st = statSync(p);
      if (st.isDirectory()) walk(p, depth + 1);
      else if (st.isFile() && !n.startsWith('.')) out.push({ name: relative(root, p), bytes: st.size });
    }
  };
  walk(root, 0);
  return out;
}

/**
 * The `data:` section a run was trained on, from its `config.json`.
 *
 * @example
 * runDataSource('runs/mlp')?.data.source; // 'mnist'
 */
export function runDataSource(runDir: string): DataSource | undefined {
  const file = join(runDir, 'config.json');
  if (!existsSync(file)) return undefined;
  try {
    const data = (JSON.parse(readFileSync(file, 'utf8')) as { data?: unknown }).data;
    return data && typeof data === 'object' ? { data: data as Record<string, unknown>, baseDir: process.cwd() } : undefined;
  } catch (e) {
    throw new DistilleryError('REPORT_INPUT', `${file}: not valid JSON (${(e as Error).message})`, 'the run folder is damaged: pass the model folder alone', file);
  }
}
