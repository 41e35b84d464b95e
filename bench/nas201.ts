/**
 * NAS-Bench-201 as a tabular benchmark of the search strategies (issue 4).
 *
 *   npm run bench:nas201 -- [--table FILE.csv] [--seeds 100] [--budget 100] [--strategies a,b]
 *                           [--set evolution.population=20 ...] [--json]
 *
 * 1. Single objective: each strategy searches on CIFAR-10 validation accuracy (200 epochs) for
 *    `budget` evaluations; the architecture with the best validation accuracy it saw is judged by
 *    its test accuracy. Mean ± std over seeds, beside the NAS-Bench-201 paper's numbers.
 * 2. Two objectives: validation accuracy (max) against Pixel 3 latency (min); each strategy's
 *    hypervolume as a fraction of the true front's (computed exactly from all 15,625 rows). Both
 *    objectives are scaled to [0, 1] by their range over the table and the reference point is
 *    (1, 1) in that scale: the worst accuracy and the worst latency of the table. Because that
 *    box is dominated mostly by easy points (the all-`none` cell at 9.7% and ~0 ms is on the
 *    front), a second fraction takes the reference at the table's median accuracy and median
 *    latency, which measures the front among better-than-typical cells.
 *
 * Data: bench/data/nb201-cifar10.csv (a copy of NAS-Bench-201's CIFAR-10 results with
 * HW-NAS-Bench latencies; see bench/data/nb201-README.md for sources and licences).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { hypervolume, toMinimization } from '../src/search/pareto.ts';
import { SearchSpace } from '../src/search/space.ts';
import { strategies } from '../src/search/strategies/index.ts';
import { parseObjectives, readTable, TableEvaluator } from '../src/search/table.ts';
import type { Direction, StrategyOptions } from '../src/search/types.ts';

const root = join(import.meta.dirname, '..');
const args = process.argv.slice(2);
const flag = (name: string, def: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : def;
};
const json = args.includes('--json');
const tableFile = flag('table', join(root, 'bench/data/nb201-cifar10.csv'));
const nSeeds = Number(flag('seeds', '100'));
const budget = Number(flag('budget', '100'));
const names = flag('strategies', 'random,grid,evolution,tpe,nsga2').split(',');

// Settings per strategy, for a 100-evaluation budget over 6 categorical parameters.
const settings: Record<string, StrategyOptions> = {
  random: {},
  grid: {},
  evolution: { population: 10, sampleSize: 3 },
  tpe: { startup: 10 },
  nsga2: { population: 20 },
};

// --set strategy.option=value (repeatable): to tune a strategy's settings from the command line.
args.forEach((a, i) => {
  if (a !== '--set') return;
  const m = /^(\w+)\.(\w+)=(.+)$/.exec(args[i + 1] ?? '');
  if (!m) throw new Error(`--set takes strategy.option=value, got '${args[i + 1]}'`);
  settings[m[1]!] = { ...settings[m[1]!], [m[2]!]: Number.isNaN(Number(m[3])) ? m[3] : Number(m[3]) };
});

const doc = parseYaml(readFileSync(join(root, 'examples/spaces/nb201.yaml'), 'utf8')) as { space: unknown; table: { keys: Record<string, string> } };
const space = new SearchSpace(doc.space, 'examples/spaces/nb201.yaml: space');
const table = readTable(tableFile);
const emit = (e: Record<string, unknown>) => json && console.log(JSON.stringify(e));
const say = (s: string) => !json && console.log(s);

const meanStd = (xs: number[]) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return { mean: m, std: Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, xs.length - 1)) };
};

function search(name: string, seed: number, evaluator: TableEvaluator, directions: Direction[]): number[] {
  const s = strategies.get(name)(space, { ...settings[name], seed, directions });
  const rows: number[] = [];
  for (let i = 0; i < budget; i++) {
    const c = s.ask();
    s.tell(c, evaluator.evaluate(c));
    rows.push(evaluator.row(c));
  }
  return rows;
}

// 1. single objective
const single = new TableEvaluator(table, space, parseObjectives('c10_valid_200ep:max', table), doc.table.keys);
const valid = single.numeric('c10_valid_200ep');
const test = single.numeric('c10_test_200ep');
const results: Record<string, { meanTest: number; stdTest: number; hvFraction: number; hvFractionMedianRef: number; seconds: number }> = {};
say(`NAS-Bench-201 CIFAR-10, ${budget} evaluations, ${nSeeds} seeds, searching on c10_valid_200ep (best possible test: ${Math.max(...test).toFixed(2)})`);
say('strategy    test acc (mean ± std)   hv fraction (worst ref)   hv fraction (median ref)   seconds');
for (const name of names) {
  const t0 = performance.now();
  const picked = [];
  for (let k = 0; k < nSeeds; k++) {
    const rows = search(name, 1000 + k, single, ['max']);
    let best = rows[0]!;
    for (const r of rows) if (valid[r]! > valid[best]!) best = r;
    picked.push(test[best]!);
  }
  const { mean, std } = meanStd(picked);
  results[name] = { meanTest: mean, stdTest: std, hvFraction: NaN, hvFractionMedianRef: NaN, seconds: (performance.now() - t0) / 1000 };
}

// 2. two objectives: accuracy against Pixel 3 latency
const objectives = parseObjectives('c10_valid_200ep:max,lat_ms_pixel3:min', table);
const dirs = objectives.map((o) => o.direction);
const two = new TableEvaluator(table, space, objectives, doc.table.keys);
const all = two.allObjectives().filter((v) => v.every(Number.isFinite)).map((v) => toMinimization(v, dirs));
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
const allRows = two.allObjectives();
for (const name of names) {
  const t0 = performance.now();
  const fr = [];
  const frMed = [];
  for (let k = 0; k < nSeeds; k++) {
    const rows = search(name, 5000 + k, two, dirs);
    const pts = rows.map((r) => allRows[r]!).filter((v) => v.every(Number.isFinite)).map((v) => scale(toMinimization(v, dirs)));
    fr.push(hypervolume(pts, ref) / trueHv);
    frMed.push(hypervolume(pts, medRef) / trueHvMed);
  }
  const r = results[name]!;
  const hv = meanStd(fr);
  const hvMed = meanStd(frMed);
  r.hvFraction = hv.mean;
  r.hvFractionMedianRef = hvMed.mean;
  r.seconds += (performance.now() - t0) / 1000;
  const paper = name === 'evolution' ? '   (paper REA 93.92 ± 0.30)' : name === 'random' ? '   (paper 93.70 ± 0.36)' : '';
  say(`${name.padEnd(10)}  ${r.meanTest.toFixed(2)} ± ${r.stdTest.toFixed(2)}           ${hv.mean.toFixed(4)} ± ${hv.std.toFixed(4)}           ${hvMed.mean.toFixed(3)} ± ${hvMed.std.toFixed(3)}              ${r.seconds.toFixed(1)}${paper}`);
  emit({ event: 'strategy', name, ...r, hvStd: hv.std, hvMedianRefStd: hvMed.std });
}
emit({ event: 'done', strategies: results, budget, seeds: nSeeds, bestTest: Math.max(...test) });
