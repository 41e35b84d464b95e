/**
 * A real architecture search on MNIST as a benchmark of the strategies and the zero-cost proxies
 * (issue 4).
 *
 *   npm run bench:search -- [--quick] [--trials N] [--seeds N] [--proxies N] [--epochs N]
 *                           [--limit N] [--strategies a,b] [--json]
 *
 * The space, teacher, loss, epochs and MACs limit are those of examples/mnist-search.yaml (small
 * CNNs under 250,000 MACs, each distilled from the committed ONNX CNN teacher, 2 epochs on the
 * first 12,000 training images, 2,000 of them held out to score candidates; test accuracy on all
 * 10,000 test images). Default: 12 trained trials per strategy, 4 seeds, 40 proxy candidates,
 * ~10-15 minutes on 2 cores; `--quick`: 6,000 images, 6 trials, 3 seeds, 20 candidates, ~2-3.
 *
 * 1. Strategies at an equal training budget: every strategy trains the same number of trials,
 *    for the same epochs, on the same data split, with the same list of seeds (the seed drives
 *    the strategy and each trial's initial weights). Per strategy: the best validation accuracy
 *    within the limit and that model's test accuracy, the hypervolume of (accuracy max, MACs min)
 *    with MACs scaled by the limit and the FIXED reference point (accuracy 0, MACs = the limit),
 *    so that every study is measured against the same box and the value lies in [0, 1]; the
 *    infeasible candidates each proposed (rejected before training, costing nothing); wall time.
 * 2. Zero-cost proxies: N feasible candidates drawn at random, each scored at initialisation by
 *    NASWOT (on a batch of 64 real training images) and synflow, then trained for the same short
 *    budget with one fixed set of training settings (so that only the architecture varies); the
 *    Spearman and Kendall rank correlations of each score with the trained validation accuracy,
 *    beside MACs and params as trivial baselines.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import type { StudyConfig } from '../src/study/index.ts';
import { loadStudyConfig, prepareStudy, runStudy } from '../src/study/index.ts';
import type { StudySetup } from '../src/study/index.ts';
import { openStore } from '../src/store/index.ts';
import { hypervolume, materialize, specMetrics, strategies, synflow, withLimits } from '../src/search/index.ts';
import type { Candidate, StrategyOptions } from '../src/search/index.ts';
import type { ModelEvaluator } from '../src/evaluate/index.ts';
import * as tfl from '@tensorflow/tfjs-layers';
import { naswot } from '../src/search/proxies.ts';
import { buildModel, loadModel } from '../src/models/index.ts';
import { evaluate } from '../src/train/index.ts';

// ---------- pure helpers (tested in bench/search.test.ts) ----------

/**
 * Ranks from 1, ties sharing their average rank (what Spearman's coefficient needs).
 *
 * @example
 * ranks([10, 20, 20, 5]); // [2, 3.5, 3.5, 1]
 */
export function ranks(xs: readonly number[]): number[] {
  const order = xs.map((x, i) => ({ x, i })).sort((a, b) => a.x - b.x);
  const r = new Array<number>(xs.length);
  for (let s = 0; s < order.length; ) {
    let e = s;
    while (e + 1 < order.length && order[e + 1]!.x === order[s]!.x) e++;
    for (let k = s; k <= e; k++) r[order[k]!.i] = (s + e) / 2 + 1;
    s = e + 1;
  }
  return r;
}

/**
 * Pearson's correlation coefficient (NaN when either side is constant).
 *
 * @example
 * pearson([1, 2, 3], [2, 4, 6]); // 1
 */
export function pearson(a: readonly number[], b: readonly number[]): number {
  const n = a.length;
  const ma = a.reduce((s, x) => s + x, 0) / n;
  const mb = b.reduce((s, x) => s + x, 0) / n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i]! - ma) * (b[i]! - mb);
    saa += (a[i]! - ma) ** 2;
    sbb += (b[i]! - mb) ** 2;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : NaN;
}

/**
 * Spearman's rank correlation: Pearson's on the (tie-averaged) ranks.
 *
 * @example
 * spearman([1, 2, 3, 4], [10, 30, 20, 40]); // 0.8
 */
export function spearman(a: readonly number[], b: readonly number[]): number {
  return pearson(ranks(a), ranks(b));
}

/**
 * Kendall's tau-b: (concordant - discordant) pairs over the geometric mean of the untied pair
 * counts of each side, O(n²) (n is a few dozen here).
 *
 * @example
 * kendall([1, 2, 3, 4], [10, 30, 20, 40]); // 4/6
 */
export function kendall(a: readonly number[], b: readonly number[]): number {
  let c = 0;
  let d = 0;
  let ta = 0;
  let tb = 0;
  for (let i = 0; i < a.length; i++) {
    for (let j = i + 1; j < a.length; j++) {
      const x = Math.sign(a[i]! - a[j]!);
      const y = Math.sign(b[i]! - b[j]!);
      if (x !== 0 && y !== 0) {
        if (x === y) c++;
        else d++;
      }
      if (x !== 0) ta++;
      if (y !== 0) tb++;
    }
  }
  return ta > 0 && tb > 0 ? (c - d) / Math.sqrt(ta * tb) : NaN;
}

/**
 * Mean and sample standard deviation (0 for one value).
 *
 * @example
 * meanStd([1, 2, 3]); // { mean: 2, std: 1 }
 */
export function meanStd(xs: readonly number[]): { mean: number; std: number } {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return { mean: m, std: xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1)) : 0 };
}

/**
 * The hypervolume of (accuracy max, MACs min) points with MACs scaled by `macsLimit`, against the
 * fixed reference (accuracy 0, MACs = the limit): the share of the unit box [0, 1]² the points
 * dominate. Points over the limit add nothing.
 *
 * @example
 * accuracyMacsHv([{ accuracy: 0.9, macs: 50 }], 100); // 0.9 * 0.5 = 0.45
 */
export function accuracyMacsHv(points: readonly { accuracy: number; macs: number }[], macsLimit: number): number {
  return hypervolume(points.map((p) => [-p.accuracy, p.macs / macsLimit]), [0, 1]);
}

/** NASWOT, or NaN for a model without non-linear activations (nothing to code). */
function naswotOrNaN(model: tfl.LayersModel, x: tf.Tensor): number {
  try {
    return naswot(model, x);
  } catch {
    return NaN;
  }
}

// ---------- the benchmark ----------

interface Settings {
  limit: number;
  validation: number;
  testLimit: number;
  trials: number;
  seeds: number;
  epochs: number;
  proxies: number;
  strategies: string[];
}

/** Per-strategy results of one seed. */
interface StrategyRun {
  bestAccuracy: number;
  bestTestAccuracy: number;
  bestMacs: number;
  hypervolume: number;
  front: number;
  infeasible: number;
  failed: number;
  seconds: number;
}

// Settings for a budget of a handful of trials: every strategy leaves its random start-up phase
// after about half of them, so that what it learns has some trials left to show.
const STRATEGY_OPTIONS: Record<string, (trials: number) => StrategyOptions> = {
  random: () => ({}),
  evolution: (t) => ({ population: Math.max(2, Math.floor(t / 2)), sampleSize: 2 }),
  tpe: (t) => ({ startup: Math.max(2, Math.floor(t / 2)) }),
  nsga2: (t) => ({ population: Math.max(2, Math.floor(t / 2)) }),
};

function parseArgs(argv: readonly string[]): Settings & { json: boolean } {
  const flag = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const num = (name: string, def: number): number => {
    const v = flag(name);
    if (v === undefined) return def;
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} ${v}: expected a positive integer`);
    return n;
  };
  const quick = argv.includes('--quick');
  const names = (flag('strategies') ?? 'random,evolution,tpe,nsga2').split(',');
  for (const n of names) if (!STRATEGY_OPTIONS[n]) throw new Error(`--strategies: unknown '${n}'; known: ${Object.keys(STRATEGY_OPTIONS).join(', ')} (grid: see the note the bench prints)`);
  return {
    json: argv.includes('--json'),
    limit: num('limit', quick ? 6000 : 12000),
    validation: quick ? 1000 : 2000,
    testLimit: quick ? 2000 : 10000,
    trials: num('trials', quick ? 6 : 12),
    seeds: num('seeds', quick ? 3 : 4),
    epochs: num('epochs', 2),
    proxies: num('proxies', quick ? 20 : 40),
    strategies: names,
  };
}

async function studyConfig(s: Settings, cacheDir: string, extra: Record<string, unknown> = {}): Promise<{ config: StudyConfig; baseDir: string }> {
  return loadStudyConfig(join(import.meta.dirname, '../examples/mnist-search.yaml'), [], {
    name: 'bench-search',
    data: { source: 'mnist', limit: s.limit, validation: s.validation, testLimit: s.testLimit, normalize: 'scale' },
    budget: { trials: s.trials, epochs: s.epochs },
    cache: { dir: cacheDir },
    ...extra,
  });
}

async function runStrategy(setup: StudySetup, name: string, seed: number, s: Settings, dir: string, macsLimit: number): Promise<StrategyRun> {
  const directions = setup.objectives.map((o) => o.direction);
  const options = { ...STRATEGY_OPTIONS[name]!(s.trials), seed, directions };
  const variant: StudySetup = {
    ...setup,
    name: `${name}-seed${seed}`,
    config: { ...setup.config, seed, name: `${name}-seed${seed}`, strategy: { name, options } },
    makeStrategy: () => strategies.get(name)(setup.space, options),
  };
  const store = await openStore(join(dir, 'bench.db'));
  const t0 = performance.now();
  try {
    const summary = await runStudy(variant, { store, artifactsDir: join(dir, variant.name) });
    const seconds = (performance.now() - t0) / 1000;
    const front = summary.pareto.map((t) => ({ accuracy: t.objectives!['accuracy']!, macs: t.objectives!['macs']!, model: t.model }));
    const best = front[0];
    let bestTestAccuracy = NaN;
    if (best?.model) {
      const model = await loadModel(best.model);
      bestTestAccuracy = evaluate(model, (setup.evaluator as ModelEvaluator).data.test!).accuracy;
      model.dispose();
    }
    return {
      bestAccuracy: best?.accuracy ?? NaN, bestTestAccuracy, bestMacs: best?.macs ?? NaN,
      hypervolume: accuracyMacsHv(front, macsLimit), front: front.length,
      infeasible: summary.counts.infeasible, failed: summary.counts.failed, seconds,
    };
  } finally {
    await store.close();
  }
}

interface ProxyRow { naswot: number; synflow: number; macs: number; params: number; accuracy: number }

async function proxyStudy(s: Settings, cacheDir: string, log: (m: string) => void): Promise<ProxyRow[]> {
  // One fixed training setting for every candidate, so that only the architecture varies.
  const { config, baseDir } = await studyConfig(s, cacheDir, { name: 'bench-proxies', seed: 101 });
  const { train: _searched, ...template } = config.space.template as Record<string, unknown>;
  const fixed = { ...config, space: { ...config.space, template }, train: { ...config.train, optimizer: { type: 'adam' as const, lr: 0.005 } } } as StudyConfig;
  const setup = await prepareStudy(fixed, { baseDir });
  const ev = setup.evaluator as ModelEvaluator;
  const train = ev.data.train;
  const d = train.shape.reduce((a, b) => a * b, 1);
  const x = tf.tensor(train.x.subarray(0, 64 * d), [64, ...train.shape], 'float32');
  const asker = withLimits(strategies.get('random')(setup.space, { seed: 101, directions: ['max', 'min'] }), (c) => ev.check(c), setup.limits);
  const rows: ProxyRow[] = [];
  const seen = new Set<string>();
  try {
    while (rows.length < s.proxies) {
      const c: Candidate = asker.ask();
      asker.tell(c, { objectives: [0, 0] });
      const key = JSON.stringify(c);
      if (seen.has(key)) continue;
      seen.add(key);
      const spec = materialize(setup.space, c, { inputShape: train.shape, numClasses: train.numClasses }).model!;
      const seed = 7; // the same initial-weight seed for the proxies and for training
      const model = buildModel(spec, { inputShape: train.shape, numClasses: train.numClasses, seed });
      const scores = { naswot: naswotOrNaN(model, x), synflow: synflow(model) };
      model.dispose();
      const cost = specMetrics(spec, train.shape, train.numClasses);
      const out = await ev.evaluate({ trialId: rows.length + 1, candidate: c, seed, epochs: s.epochs });
      if (out.state !== 'complete') {
        log(`proxy candidate ${rows.length + 1}: ${out.state} (${out.reason ?? ''}); skipped`);
        continue;
      }
      rows.push({ ...scores, macs: cost.macs, params: cost.params, accuracy: out.values['accuracy']! });
      log(`proxy candidate ${rows.length}/${s.proxies}: naswot ${scores.naswot.toFixed(1)}  synflow ${scores.synflow.toFixed(2)}  macs ${cost.macs}  val acc ${out.values['accuracy']!.toFixed(4)}`);
    }
  } finally {
    x.dispose();
    await setup.dispose();
  }
  return rows;
}

function table(rows: string[][]): string {
  const w = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(w[c]!)).join('  ').trimEnd()).join('\n');
}

async function main(): Promise<void> {
  const s = parseArgs(process.argv.slice(2));
  const say = (m: string) => (s.json ? process.stderr.write(`${m}\n`) : console.log(m)); // with --json the table goes to stderr
  const log = (m: string) => process.stderr.write(`${m}\n`);
  const work = mkdtempSync(join(tmpdir(), 'bench-search-'));
  const started = performance.now();
  try {
    const cacheDir = join(work, 'cache');
    const { config, baseDir } = await studyConfig(s, cacheDir);
    const setup = await prepareStudy(config, { baseDir, reporter: (e) => e.event === 'info' && log(String(e['message'])) });
    const macsLimit = setup.limits.find((l) => l.metric === 'macs')!.value;
    const grid = setup.space.grid(5).length;
    const data = (setup.evaluator as ModelEvaluator).data;
    say(`bench:search — ${s.trials} trained trials per strategy and seed, ${s.epochs} epoch(s) each, ${data.train.y.length} training / ${data.validation!.y.length} validation / ${data.test!.y.length} test MNIST images, MACs <= ${macsLimit.toLocaleString('en-US')}, candidates distilled from examples/teachers/mnist-cnn.onnx; seeds 1..${s.seeds}`);
    say(`grid left out: the space (examples/mnist-search.yaml, lr on 5 grid points) has ${grid.toLocaleString('en-US')} points, so a budget of ${s.trials} would see a random ${(100 * s.trials / grid).toFixed(2)}% of it: random search under another name`);
    const runs: Record<string, StrategyRun[]> = {};
    try {
      for (let seed = 1; seed <= s.seeds; seed++) {
        for (const name of s.strategies) {
          const r = await runStrategy(setup, name, seed, s, work, macsLimit);
          (runs[name] ??= []).push(r);
          log(`${name} seed ${seed}: best val ${r.bestAccuracy.toFixed(4)} (test ${r.bestTestAccuracy.toFixed(4)}, ${r.bestMacs} MACs), hv ${r.hypervolume.toFixed(4)}, front ${r.front}, infeasible ${r.infeasible}, ${r.seconds.toFixed(0)} s`);
        }
      }
    } finally {
      await setup.dispose();
    }
    const pm = (xs: number[], digits: number, scale = 1) => {
      const { mean, std } = meanStd(xs.map((x) => x * scale));
      return xs.length > 1 ? `${mean.toFixed(digits)} ± ${std.toFixed(digits)}` : mean.toFixed(digits);
    };
    const out: Record<string, unknown> = {};
    const rows = [['strategy', 'best val acc %', 'its test acc %', 'its MACs', 'hypervolume', 'front', 'infeasible', 'failed', 'seconds']];
    for (const [name, rs] of Object.entries(runs)) {
      const col = (k: keyof StrategyRun) => rs.map((r) => r[k]);
      rows.push([name, pm(col('bestAccuracy'), 2, 100), pm(col('bestTestAccuracy'), 2, 100), pm(col('bestMacs'), 0), pm(col('hypervolume'), 4), pm(col('front'), 1), pm(col('infeasible'), 1), pm(col('failed'), 1), pm(col('seconds'), 0)]);
      const stat = (k: keyof StrategyRun) => meanStd(col(k));
      out[name] = {
        seeds: rs.length, bestAccuracy: stat('bestAccuracy'), bestTestAccuracy: stat('bestTestAccuracy'), hypervolume: stat('hypervolume'),
        infeasible: stat('infeasible'), failed: stat('failed'), seconds: stat('seconds'), runs: rs,
      };
    }
    say('');
    say(table(rows));
    say(`(mean ± sample std over ${s.seeds} seed(s)${s.seeds < 3 ? '; with so few seeds the differences are anecdotal' : ''}; hypervolume of (accuracy, MACs/limit) against the fixed reference (0, 1); infeasible = proposed over the limit, never trained)`);

    const pr = await proxyStudy(s, cacheDir, log);
    const acc = pr.map((r) => r.accuracy);
    const proxies: Record<string, { spearman: number; kendall: number }> = {};
    const prow = [['score', 'Spearman', 'Kendall tau-b']];
    for (const k of ['naswot', 'synflow', 'macs', 'params'] as const) {
      const v = pr.map((r) => r[k]);
      proxies[k] = { spearman: spearman(v, acc), kendall: kendall(v, acc) };
      prow.push([k === 'macs' || k === 'params' ? `${k} (baseline)` : k, proxies[k].spearman.toFixed(3), proxies[k].kendall.toFixed(3)]);
    }
    say('');
    say(`zero-cost proxies: ${pr.length} feasible random candidates, scored at init (NASWOT on 64 training images), each trained ${s.epochs} epoch(s) with adam lr 0.005; rank correlation with validation accuracy (range ${(100 * Math.min(...acc)).toFixed(1)}-${(100 * Math.max(...acc)).toFixed(1)}%)`);
    say(table(prow));
    const seconds = (performance.now() - started) / 1000;
    say(`\n${seconds.toFixed(0)} s in all (wall time on a shared machine: noisy)`);
    if (s.json) console.log(JSON.stringify({ event: 'done', settings: s, macsLimit, gridPoints: grid, strategies: out, proxies, proxyCandidates: pr, seconds }));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
