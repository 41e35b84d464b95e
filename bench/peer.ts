/**
 * distillery against PyTorch (issue 8): training ms/step of the MLP 784-1200-1200-10, the
 * MNIST conv net and a MobileNetV2-style stack (bench/models.ts), batch 128, Adam, on 2 threads:
 * PyTorch 1.13 with OpenBLAS, distillery on the native oneDNN pack and on wasm. The
 * competitors take turns round by round (never at the same time), so a load change on the
 * machine hits all of them; each number is the median of the rounds.
 *
 *   npm run bench:peer [-- --quick] [--json] [--profile [--by-shape]] [--models mlp,cnn] [--threads 2]
 *     [--backends native,wasm,torch]
 *
 * --profile then prints, per model, the time and calls of each kernel per training step on the
 * native backend (wasm without it), marking the stock JS kernels native still borrows;
 * --by-shape splits them by input shapes.
 *
 * ratio = PyTorch ms/step / native ms/step, the median over rounds of each round's pair: above
 * 1, distillery trains faster than PyTorch. A backend too slow for full rounds gets fewer
 * (noted), or only the one step timed to plan them (its numbers start with '~').
 *
 * The native pack's OpenMP threads read OMP_WAIT_POLICY when it loads; the table shows the
 * value. PyTorch always runs with PASSIVE (see bench/peers/torch.ts).
 */
import { loadavg, availableParallelism } from 'node:os';
import { disposeEngine, initEngine } from '../src/engine/index.ts';
import type { EngineInfo } from '../src/engine/index.ts';
import { loadNativeAddon, nativeUnavailableReason } from '../src/engine/native/addon.ts';
import { formatKernelProfile, KernelRecorder } from '../src/engine/native/profile.ts';
import { BENCH_MODELS, resolvedSpec } from './models.ts';
import type { BenchModel, BenchModelName } from './models.ts';
import { median, pairedRatio, planRounds, trainRound } from './measure.ts';
import type { Budget, RoundPlan } from './measure.ts';
import { TorchPeer } from './peers/torch.ts';
import type { TorchInfo } from './peers/torch.ts';

type Competitor = 'torch' | 'native' | 'wasm';

interface Cell {
  /** Median ms/step, or the one step timed to plan the rounds when the backend was too slow for rounds. */
  msPerStep: number | null;
  rounds: number[];
  /** Timed steps in all rounds together. */
  steps: number;
  approx: boolean;
  params?: number;
  leakedTensors?: number;
  note?: string;
}

const argv = process.argv.slice(2);
const flag = (name: string): boolean => argv.includes(`--${name}`);
const option = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const USAGE = 'usage: npm run bench:peer [-- --quick] [--json] [--profile [--by-shape]] [--models mlp,cnn,mobilenet] [--backends torch,native,wasm] [--threads 2]';
function listOption<T extends string>(name: string, known: readonly T[]): T[] {
  const v = option(name);
  if (v === undefined) return [...known];
  const items = v.split(',').filter(Boolean);
  const bad = items.filter((x) => !(known as readonly string[]).includes(x));
  if (bad.length > 0 || items.length === 0) {
    process.stderr.write(`bench:peer: --${name} ${v}: unknown '${bad[0] ?? ''}'; known: ${known.join(', ')}\n${USAGE}\n`);
    process.exit(1);
  }
  return items as T[];
}
if (flag('help')) {
  console.log(USAGE);
  process.exit(0);
}
const json = flag('json');
const quick = flag('quick');
const threads = Number(option('threads') ?? 2);
if (!Number.isInteger(threads) || threads < 1) {
  process.stderr.write(`bench:peer: --threads ${option('threads')}: want a positive integer\n${USAGE}\n`);
  process.exit(1);
}
const wantModels = listOption<BenchModelName>('models', BENCH_MODELS.map((m) => m.name));
const wantBackends = listOption<Competitor>('backends', ['torch', 'native', 'wasm']);
const budget: Budget = quick
  ? { roundMs: 700, capMs: 8_000, rounds: 3, maxSteps: 15 }
  : { roundMs: 1_500, capMs: 25_000, rounds: 5, maxSteps: 60 };

const say = (line: string): void => {
  process.stderr.write(`${line}\n`);
};
const fmt = (v: number | null | undefined, d = 1): string => (v === null || v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(d));

/** Switches TF.js to `c` (rebuilding nothing: every round builds its own model). */
async function useEngine(c: 'native' | 'wasm'): Promise<EngineInfo> {
  return initEngine({ backend: c, threads });
}

/** One round of `c` on `m`; the error text when it cannot train. */
async function runRound(c: Competitor, m: BenchModel, warmup: number, steps: number, peer: TorchPeer | undefined): Promise<{ ms: number; params: number; leaked: number } | string> {
  if (c === 'torch') {
    if (!peer) return 'PyTorch peer not running';
    const r = await peer.round(m.name, resolvedSpec(m), m.batch, warmup, steps);
    return typeof r === 'string' ? r : { ms: r.ms_per_step, params: r.params, leaked: 0 };
  }
  try {
    await useEngine(c);
    const r = await trainRound(m, warmup, steps);
    return { ms: r.msPerStep, params: r.trainableParams, leaked: r.leakedTensors };
  } catch (e) {
    return (e as Error).message.split('\n')[0]!;
  }
}

/** Calibrate every competitor on `m`, then rounds in turn: torch, native, wasm, torch, ... */
async function benchModel(m: BenchModel, competitors: Competitor[], peer: TorchPeer | undefined): Promise<Record<string, Cell>> {
  const cells: Record<string, Cell> = {};
  const plans = new Map<Competitor, RoundPlan>();
  for (const c of competitors) {
    // The second step, timed after an untimed first: the first one (operator creation, JIT,
    // optimizer slots) can be several times slower and would misplan the rounds.
    const est = await runRound(c, m, 1, 1, peer);
    if (typeof est === 'string') {
      cells[c] = { msPerStep: null, rounds: [], steps: 0, approx: false, note: `cannot train: ${est}` };
      continue;
    }
    const plan = planRounds(est.ms, budget);
    plans.set(c, plan);
    const approx = plan.rounds === 0;
    cells[c] = { msPerStep: approx ? est.ms : null, rounds: [], steps: approx ? 1 : 0, approx, params: est.params };
    if (plan.note !== undefined) cells[c].note = plan.note;
    if (!json) say(`  ${m.name} ${c}: second step ${fmt(est.ms)} ms; ${plan.rounds} rounds x ${plan.steps} steps`);
  }
  const most = Math.max(0, ...[...plans.values()].map((p) => p.rounds));
  for (let r = 0; r < most; r++) {
    for (const c of competitors) {
      const plan = plans.get(c);
      if (!plan || r >= plan.rounds) continue;
      const res = await runRound(c, m, plan.warmup, plan.steps, peer);
      const cell = cells[c]!;
      if (typeof res === 'string') {
        cell.note = `round ${r + 1} failed: ${res}`;
        plans.delete(c);
        continue;
      }
      cell.rounds.push(res.ms);
      cell.steps += plan.steps;
      cell.leakedTensors = Math.max(cell.leakedTensors ?? 0, res.leaked);
      if (!json) say(`  ${m.name} ${c} round ${r + 1}: ${fmt(res.ms)} ms/step (${plan.steps} steps)`);
      // Size the next round from this one: one step alone is a rough guide under load.
      plan.steps = planRounds(res.ms, budget).steps;
    }
  }
  for (const c of competitors) {
    const cell = cells[c]!;
    if (cell.rounds.length > 0) cell.msPerStep = median(cell.rounds);
  }
  return cells;
}

/** `--profile`: per-kernel time of a few training steps of each model on native (else wasm). */
async function profileModels(models: BenchModel[], backend: 'native' | 'wasm'): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  await useEngine(backend);
  for (const m of models) {
    // Learn the speed first, then record ~3 s of steps after two untimed warm-up steps.
    const est = await trainRound(m, 1, 1);
    const steps = Math.max(2, Math.min(quick ? 5 : 20, Math.round((quick ? 1500 : 3000) / est.msPerStep)));
    const rec = new KernelRecorder();
    await trainRound(m, 2, steps, {
      onBatch: (b) => {
        if (b === 2) rec.start();
        if (b === 2 + steps) rec.stop();
      },
    });
    const p = await rec.result({ byShape: flag('by-shape') });
    out[m.name] = { steps, ...p };
    if (!json) {
      console.log(`\nper-kernel profile: ${m.title}, ${steps} steps on ${p.backend} after 2 warm-up steps (profiler overhead is in the JS line)`);
      console.log(formatKernelProfile(p, { top: 25, per: steps }));
    }
  }
  return out;
}

/** PyTorch / ours, paired round by round (see pairedRatio); null when either side has no number. */
function ratioOf(torch: Cell | undefined, ours: Cell | undefined): number | null {
  if (!torch || !ours) return null;
  return pairedRatio(torch.rounds, ours.rounds, torch.msPerStep, ours.msPerStep);
}

function table(rows: Array<{ m: BenchModel; cells: Record<string, Cell> }>, torchInfo: TorchInfo | undefined, engines: Record<string, string>): string {
  const head = `${'model'.padEnd(10)} ${'PyTorch'.padStart(9)} ${'native'.padStart(9)} ${'wasm'.padStart(9)} ${'ratio'.padStart(7)} ${'ratio wasm'.padStart(10)}  notes`;
  const lines = [`training ms/step (median of rounds; lower is better); ratio = PyTorch / distillery, median over rounds run back to back (>1: faster than PyTorch)`, head];
  const ms = (c: Cell | undefined): string => (c?.msPerStep == null ? '-' : `${c.approx ? '~' : ''}${fmt(c.msPerStep)}`);
  for (const { m, cells } of rows) {
    const ratio = (c: Cell | undefined): string => {
      const r = ratioOf(cells['torch'], c);
      return r === null ? '-' : `${c?.approx ? '~' : ''}${r.toFixed(r < 0.1 ? 3 : 2)}`;
    };
    const notes = Object.entries(cells).flatMap(([k, c]) => [
      ...(c.note !== undefined ? [`${k}: ${c.note}`] : []),
      ...(c.leakedTensors ? [`${k}: ${c.leakedTensors} tensors leaked per round`] : []),
    ]);
    const params = new Set(Object.values(cells).map((c) => c.params).filter((p) => p !== undefined));
    if (params.size > 1) notes.push(`PARAM COUNTS DIFFER: ${Object.entries(cells).map(([k, c]) => `${k} ${c.params}`).join(', ')}`);
    lines.push(`${m.name.padEnd(10)} ${ms(cells['torch']).padStart(9)} ${ms(cells['native']).padStart(9)} ${ms(cells['wasm']).padStart(9)} ${ratio(cells['native']).padStart(7)} ${ratio(cells['wasm']).padStart(10)}  ${notes.join('; ')}`);
  }
  for (const { m, cells } of rows) {
    lines.push(`  ${m.name}: ${m.title}, batch ${m.batch}; rounds ${Object.entries(cells).map(([k, c]) => `${k} [${c.rounds.map((r) => fmt(r)).join(', ')}]`).join(' ')}`);
  }
  if (torchInfo) lines.push(`PyTorch ${torchInfo.torch}: ${torchInfo.threads} threads, BLAS ${torchInfo.blas}${torchInfo.preload ? ' (preloaded)' : ''}, OMP_WAIT_POLICY=${torchInfo.omp_wait_policy}, 1024^3 matmul ${torchInfo.matmul_gflops_1024} GFLOP/s`);
  for (const [k, v] of Object.entries(engines)) lines.push(`${k}: ${v}`);
  return lines.join('\n');
}

async function main(): Promise<void> {
  const load = loadavg()[0]!;
  const models = BENCH_MODELS.filter((m) => wantModels.includes(m.name));
  const engines: Record<string, string> = {};
  let competitors: Competitor[] = [...wantBackends];
  let peer: TorchPeer | undefined;
  if (competitors.includes('torch')) {
    const p = await TorchPeer.start(threads);
    if (typeof p === 'string') {
      engines['PyTorch'] = `unavailable: ${p}`;
      competitors = competitors.filter((c) => c !== 'torch');
    } else peer = p;
  }
  if (competitors.includes('native') && !loadNativeAddon()) {
    engines['native'] = `unavailable: the native kernel pack is ${nativeUnavailableReason() ?? 'unavailable'}; wasm only`;
    competitors = competitors.filter((c) => c !== 'native');
  }
  for (const c of competitors) {
    if (c === 'torch') continue;
    const info = await useEngine(c);
    // OpenMP threads that spin between kernels steal the cores from everything else; read at
    // the addon's load, so the value now is the one the native pack runs with.
    const omp = c === 'native' ? `, OMP_WAIT_POLICY=${process.env['OMP_WAIT_POLICY'] ?? 'unset (libgomp default: spin a while)'}` : '';
    engines[`distillery ${c}`] = `${info.threads} threads${info.notes.length ? `, ${info.notes.join('; ')}` : ''}${omp}`;
  }
  if (!json) say(`bench:peer: ${competitors.join(', ')} on ${threads} threads; ${availableParallelism()} cores, load ${load.toFixed(2)} at start${quick ? ' (quick)' : ''}`);
  const t0 = performance.now();
  const rows: Array<{ m: BenchModel; cells: Record<string, Cell> }> = [];
  try {
    for (const m of models) rows.push({ m, cells: await benchModel(m, competitors, peer) });
  } finally {
    peer?.close();
  }
  console.log(table(rows, peer?.info, engines));
  const seconds = (performance.now() - t0) / 1000;
  if (!json) console.log(`${seconds.toFixed(0)} s; load ${load.toFixed(2)} at start, ${loadavg()[0]!.toFixed(2)} at end`);
  let profile: Record<string, unknown> | undefined;
  if (flag('profile')) {
    const backend = competitors.includes('native') ? 'native' : 'wasm';
    profile = await profileModels(models, backend);
  }
  await disposeEngine();
  if (json) {
    const ratios = Object.fromEntries(rows.map((r) => [r.m.name, ratioOf(r.cells['torch'], r.cells['native'])]));
    const wasmRatios = Object.fromEntries(rows.map((r) => [r.m.name, ratioOf(r.cells['torch'], r.cells['wasm'])]));
    const results = Object.fromEntries(rows.map((r) => [r.m.name, r.cells]));
    console.log(JSON.stringify({ event: 'done', bench: 'peer', ratios, wasmRatios, threads, quick, loadAtStart: load, loadAtEnd: loadavg()[0], seconds, results, torch: peer?.info ?? null, engines, ...(profile ? { profile } : {}) }));
  }
}

await main();
