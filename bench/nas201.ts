/**
 * NAS-Bench-201 as a tabular benchmark of the search strategies.
 *
 *   npm run bench:nas201 -- [--signal c10_valid_12ep] [--table FILE.csv] [--seeds 100] [--budget 100]
 *                           [--strategies a,b] [--set evolution.population=20 ...] [--json]
 *
 * What a strategy sees and what it is judged by are kept apart, as in the NAS-Bench-201 paper
 * (Dong & Yang, ICLR 2020):
 *
 * - the **signal** a search sees is CIFAR-10 validation accuracy after the benchmark's 12-epoch
 *   schedule (`c10_valid_12ep`, the paper's `use_012_epoch_training`);
 * - the cell with the best signal among those it evaluated is **judged** by its test accuracy
 *   after 200 epochs (`c10_test_200ep`);
 * - an **evaluation** is one table lookup per cell the strategy proposes, repeats counted (the
 *   paper's scripts charge every proposal, repeat or not); `--budget` of them per run.
 *
 * Each strategy also runs with the 200-epoch validation accuracy as its signal (`c10_valid_200ep`:
 * nearly an oracle, since it tracks the test accuracy closely), printed beside the paper's
 * setting; the two runs share their seeds.
 *
 * 1. Single objective: mean ± std over seeds of the picked cell's test accuracy, beside the
 *    paper's random search and REA.
 * 2. Two objectives: signal (max) against Pixel 3 latency (min). The search's front (its
 *    non-dominated cells under signal and latency) is judged on test accuracy and latency: its
 *    hypervolume as a fraction of the true test-accuracy/latency front's (exact, from all 15,625
 *    rows), both axes scaled to [0, 1] over the table, reference (1, 1) in that scale (the worst
 *    accuracy and latency), and a second fraction with the reference at the table's medians,
 *    which measures the front among better-than-typical cells.
 *
 * Not replayed: the paper's budget is 12,000 s of simulated training time (each proposal
 * charges its cell's recorded 12-epoch training time plus one validation pass); this table has no
 * training-time column, so a count of evaluations stands in for it. Its 12-epoch signal is one
 * training seed's accuracy drawn at random per lookup (`is_random=True`); this table holds one
 * fixed value per cell. Its figures are means over 500 runs.
 *
 * Data: bench/data/nb201-cifar10.csv (NAS-Bench-201's CIFAR-10 results with HW-NAS-Bench
 * latencies; see bench/data/nb201-README.md for sources and licences).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { hypervolume, toMinimization } from '../src/search/pareto.ts';
import { SearchSpace } from '../src/search/space.ts';
import { strategies } from '../src/search/strategies/index.ts';
import { parseObjectives, readTable, TableEvaluator } from '../src/search/table.ts';
import type { Table } from '../src/search/table.ts';
import type { Direction, StrategyOptions } from '../src/search/types.ts';

/** The signal the paper's random search and REA see: validation accuracy after 12 epochs. */
export const DEFAULT_SIGNAL = 'c10_valid_12ep';
/** The near-oracle signal, printed beside the default. */
export const ORACLE_SIGNAL = 'c10_valid_200ep';
/** What a picked cell is judged by. */
export const JUDGE = 'c10_test_200ep';
/** The latency objective of the two-objective task. */
export const LATENCY = 'lat_ms_pixel3';
/** How an evaluation is counted, as the output says it. */
export const EVALUATION = 'one table lookup per proposed cell, repeats counted';
/** The paper's CIFAR-10 test accuracies (mean ± std over 500 runs) for the strategies it ran. */
export const PAPER: Record<string, string> = { random: '93.70 ± 0.36', evolution: '93.92 ± 0.30' };

/** Settings per strategy, for a 100-evaluation budget over 6 categorical parameters (REA: the paper's). */
export const SETTINGS: Record<string, StrategyOptions> = {
  random: {},
  grid: {},
  evolution: { population: 10, sampleSize: 3 },
  tpe: { startup: 10 },
  nsga2: { population: 20 },
};

const root = join(import.meta.dirname, '..');

/** The NAS-Bench-201 cell space and the table's key template (examples/spaces/nb201.yaml). */
export function nb201Space(): { space: SearchSpace; keys: Record<string, string> } {
  const doc = parseYaml(readFileSync(join(root, 'examples/spaces/nb201.yaml'), 'utf8')) as { space: unknown; table: { keys: Record<string, string> } };
  return { space: new SearchSpace(doc.space, 'examples/spaces/nb201.yaml: space'), keys: doc.table.keys };
}

/** The table rows a strategy's `budget` evaluations looked up, in order (repeats included). */
export function searchRows(space: SearchSpace, name: string, opts: StrategyOptions, seed: number, evaluator: TableEvaluator, directions: Direction[], budget: number): number[] {
  const s = strategies.get(name)(space, { ...opts, seed, directions });
  const rows: number[] = [];
  for (let i = 0; i < budget; i++) {
    const c = s.ask();
    s.tell(c, evaluator.evaluate(c));
    rows.push(evaluator.row(c));
  }
  return rows;
}

/** The row with the best (highest) signal among `rows`; the first on ties. */
export function pick(rows: readonly number[], signal: ArrayLike<number>): number {
  let best = rows[0]!;
  for (const r of rows) if (signal[r]! > signal[best]!) best = r;
  return best;
}

/** Mean and sample standard deviation. */
export function meanStd(xs: readonly number[]): { mean: number; std: number } {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return { mean: m, std: Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, xs.length - 1)) };
}

/** One strategy's figures under one signal. */
export interface StrategyFigures {
  meanTest: number;
  stdTest: number;
  /** The picked cells' signal values (what the search believed it found). */
  meanSignal: number;
  /** Distinct cells among the `budget` evaluations of a run, mean over seeds. */
  meanDistinct: number;
  hvFraction: number;
  hvStd: number;
  hvFractionMedianRef: number;
  hvMedianRefStd: number;
  seconds: number;
}

/** Run settings shared by both signals. */
export interface Nas201Run {
  table: Table;
  names: string[];
  seeds: number;
  budget: number;
  settings?: Record<string, StrategyOptions>;
}

/**
 * Every strategy in `run.names` searching on `signal`, judged on test accuracy: the single- and
 * the two-objective task. Seeds 1000+k (single) and 5000+k (two objectives), the same for every
 * signal.
 *
 * @example
 * const r = runSignal({ table: readTable('bench/data/nb201-cifar10.csv'), names: ['random'], seeds: 10, budget: 100 }, 'c10_valid_12ep');
 * r.random.meanTest; // ≈ 93.6
 */
export function runSignal(run: Nas201Run, signal: string): Record<string, StrategyFigures> {
  const settings = run.settings ?? SETTINGS;
  const { space, keys } = nb201Space();
  const single = new TableEvaluator(run.table, space, parseObjectives(`${signal}:max`, run.table), keys);
  const sig = single.numeric(signal);
  const test = single.numeric(JUDGE);
  const lat = single.numeric(LATENCY);
  const two = new TableEvaluator(run.table, space, parseObjectives(`${signal}:max,${LATENCY}:min`, run.table), keys);
  const dirs: Direction[] = ['max', 'min'];

  // The judged plane: test accuracy (max) against latency (min), scaled to [0, 1] over the table.
  const judged = (r: number) => toMinimization([test[r]!, lat[r]!], dirs);
  const finite = (r: number) => Number.isFinite(test[r]!) && Number.isFinite(lat[r]!) && Number.isFinite(sig[r]!);
  const allRows = Array.from({ length: run.table.rows }, (_, r) => r).filter(finite);
  const all = allRows.map(judged);
  const lo = [0, 1].map((j) => Math.min(...all.map((p) => p[j]!)));
  const hi = [0, 1].map((j) => Math.max(...all.map((p) => p[j]!)));
  const scale = (p: number[]) => p.map((x, j) => (x - lo[j]!) / (hi[j]! - lo[j]!));
  const ref = [1, 1];
  const trueHv = hypervolume(all.map(scale), ref);
  const mid = (j: number) => {
    const v = all.map((p) => scale(p)[j]!).sort((a, b) => a - b);
    return v[v.length >> 1]!;
  };
  const medRef = [mid(0), mid(1)];
  const trueHvMed = hypervolume(all.map(scale), medRef);
  // The search's front: non-dominated under what it saw (signal, latency).
  const seenFront = (rows: number[]) => {
    const pts = [...new Set(rows)].filter(finite);
    return pts.filter((a) => !pts.some((b) => b !== a && sig[b]! >= sig[a]! && lat[b]! <= lat[a]! && (sig[b]! > sig[a]! || lat[b]! < lat[a]!)));
  };

  const out: Record<string, StrategyFigures> = {};
  for (const name of run.names) {
    const t0 = performance.now();
    const picked: number[] = [];
    const pickedSignal: number[] = [];
    const distinct: number[] = [];
    for (let k = 0; k < run.seeds; k++) {
      const rows = searchRows(space, name, settings[name] ?? {}, 1000 + k, single, ['max'], run.budget);
      const best = pick(rows, sig);
      picked.push(test[best]!);
      pickedSignal.push(sig[best]!);
      distinct.push(new Set(rows).size);
    }
    const fr: number[] = [];
    const frMed: number[] = [];
    for (let k = 0; k < run.seeds; k++) {
      const front = seenFront(searchRows(space, name, settings[name] ?? {}, 5000 + k, two, dirs, run.budget)).map((r) => scale(judged(r)));
      fr.push(hypervolume(front, ref) / trueHv);
      frMed.push(hypervolume(front, medRef) / trueHvMed);
    }
    const t = meanStd(picked);
    const hv = meanStd(fr);
    const hvMed = meanStd(frMed);
    out[name] = {
      meanTest: t.mean, stdTest: t.std, meanSignal: meanStd(pickedSignal).mean, meanDistinct: meanStd(distinct).mean,
      hvFraction: hv.mean, hvStd: hv.std, hvFractionMedianRef: hvMed.mean, hvMedianRefStd: hvMed.std,
      seconds: (performance.now() - t0) / 1000,
    };
  }
  return out;
}

function main(): void {
  const args = process.argv.slice(2);
  const flag = (name: string, def: string): string => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : def;
  };
  const json = args.includes('--json');
  const signal = flag('signal', DEFAULT_SIGNAL);
  const settings: Record<string, StrategyOptions> = Object.fromEntries(Object.entries(SETTINGS).map(([k, v]) => [k, { ...v }]));
  // --set strategy.option=value (repeatable): to tune a strategy's settings from the command line.
  args.forEach((a, i) => {
    if (a !== '--set') return;
    const m = /^(\w+)\.(\w+)=(.+)$/.exec(args[i + 1] ?? '');
    if (!m) throw new Error(`--set takes strategy.option=value, got '${args[i + 1]}'`);
    settings[m[1]!] = { ...settings[m[1]!], [m[2]!]: Number.isNaN(Number(m[3])) ? m[3] : Number(m[3]) };
  });
  const run: Nas201Run = {
    table: readTable(flag('table', join(root, 'bench/data/nb201-cifar10.csv'))),
    names: flag('strategies', 'random,grid,evolution,tpe,nsga2').split(','),
    seeds: Number(flag('seeds', '100')),
    budget: Number(flag('budget', '100')),
    settings,
  };
  const oracle = signal === ORACLE_SIGNAL ? undefined : ORACLE_SIGNAL;
  const res = runSignal(run, signal);
  const side = oracle ? runSignal(run, oracle) : undefined;
  const bestTest = Math.max(...run.table.text.get(JUDGE)!.map(Number).filter(Number.isFinite));

  if (json) {
    for (const name of run.names) console.log(JSON.stringify({ event: 'strategy', name, signal, ...res[name]!, ...(side ? { oracle: side[name] } : {}) }));
    console.log(JSON.stringify({
      event: 'done', signal, judge: JUDGE, evaluation: EVALUATION, budget: run.budget, seeds: run.seeds, bestTest,
      strategies: res, ...(side && oracle ? { oracle: { signal: oracle, strategies: side } } : {}),
    }));
    return;
  }
  const f = (m: number, s: number, d = 2) => `${m.toFixed(d)} ± ${s.toFixed(d)}`;
  console.log(`NAS-Bench-201 CIFAR-10: ${run.budget} evaluations (${EVALUATION}), ${run.seeds} seeds; the cell with the best signal is judged by ${JUDGE} (best possible ${bestTest.toFixed(2)})`);
  console.log(`\nsingle objective, test accuracy % of the pick (mean ± std)`);
  const head = ['strategy', `signal ${signal}`, ...(oracle ? [`signal ${oracle} (oracle)`] : []), 'paper (12-epoch signal)', 'distinct cells'];
  const rows = run.names.map((n) => [n, f(res[n]!.meanTest, res[n]!.stdTest), ...(side ? [f(side[n]!.meanTest, side[n]!.stdTest)] : []), PAPER[n] ?? '', res[n]!.meanDistinct.toFixed(1)]);
  table([head, ...rows]);
  console.log(`\ntwo objectives (signal against ${LATENCY}), the search's front judged on test accuracy: hypervolume fraction of the true front, reference at the worst / at the median`);
  const head2 = ['strategy', `${signal} worst ref`, `${signal} median ref`, ...(oracle ? [`${oracle} worst ref`, `${oracle} median ref`] : []), 'seconds'];
  const rows2 = run.names.map((n) => [
    n, f(res[n]!.hvFraction, res[n]!.hvStd, 4), f(res[n]!.hvFractionMedianRef, res[n]!.hvMedianRefStd, 3),
    ...(side ? [f(side[n]!.hvFraction, side[n]!.hvStd, 4), f(side[n]!.hvFractionMedianRef, side[n]!.hvMedianRefStd, 3)] : []),
    (res[n]!.seconds + (side?.[n]!.seconds ?? 0)).toFixed(1),
  ]);
  table([head2, ...rows2]);
  console.log(`\nnot replayed: the paper's budget is 12,000 s of simulated 12-epoch training time, not a count (this table has no training-time column), and its 12-epoch signal is one random training seed's accuracy per lookup.`);
}

function table(rows: string[][]): void {
  const w = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  for (const r of rows) console.log(r.map((cell, c) => (c === 0 ? cell.padEnd(w[c]!) : cell.padStart(w[c]!))).join('   '));
}

if (import.meta.url === `file://${process.argv[1]}`) main();
