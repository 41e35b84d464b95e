import { DistilleryError } from '../core/errors.ts';
import { writeJsonAtomic } from '../core/fs.ts';
// Only the runtime names load with the CLI; the engine, the runners and the profiler (TF.js,
// onnxruntime) are imported by the command that runs.
import { RUNTIMES, runtimeName } from '../deploy/bench/runtimes.ts';
import type { CommandSpec } from './spec.ts';
import { nonNegativeNumber, positiveInt, positiveInts, requiredString } from './options.ts';
import { table } from './reporters.ts';

const ms = (v: number): string => v.toFixed(3);
const pct = (v: number): string => `${(100 * v).toFixed(0)}%`;

async function predictMode(model: string | undefined, opts: Record<string, unknown>, flags: Parameters<CommandSpec['run']>[2]): Promise<void> {
  const { readLatencyTable } = await import('../models/latency/index.ts');
  const t = readLatencyTable(opts['predict'] as string);
  const paths = [...(model ? [model] : []), ...((opts['models'] as string[] | undefined) ?? [])];
  if (paths.length === 0) {
    throw new DistilleryError('CLI_OPTION_REQUIRED', 'bench --predict needs models to check', 'pass model folders (or a folder of them, or a spec list) as MODEL or with --models', '--models');
  }
  const { initEngine } = await import('../engine/index.ts');
  const { collectModels, comparePredictions } = await import('../deploy/predict/index.ts');
  await initEngine({ backend: 'wasm', threads: t.runtime === 'tfjs-wasm' ? t.threads : 1 });
  const samples = positiveInt('samples', opts['samples']) ?? 20;
  const models = await collectModels(paths, { samples, ...(flags.seed !== undefined ? { seed: flags.seed } : {}) });
  const iterations = positiveInt('iterations', opts['iterations']);
  const warmup = positiveInt('warmup', opts['warmup']);
  try {
    const { rows, summary, noise } = await comparePredictions(models, t, { ...(iterations ? { iterations } : {}), ...(warmup ? { warmup } : {}) });
    flags.reporter({ event: 'done', command: 'bench', mode: 'predict', runtime: t.runtime, threads: t.threads, rows, ...summary, predictor: t.kernels ? 'kernels' : 'blocks', noiseWithin10: noise.within10, noiseMedianAbsPct: noise.medianAbsPct, noiseP90AbsPct: noise.p90AbsPct });
    if (!flags.json) {
      process.stdout.write(table([['model', 'predicted ms', 'measured ms', 'error'], ...rows.map((r) => [r.name, ms(r.predictedMs), ms(r.measuredMs), `${r.errorPct.toFixed(1)}%`])]));
      process.stdout.write(
        `${t.runtime}, ${t.threads} thread(s), batch 1: ${pct(summary.within10)} of ${summary.n} models within ±10% (nn-Meter's bar: 90%); ` +
          `|error| mean ${summary.meanAbsPct.toFixed(1)}%, median ${summary.medianAbsPct.toFixed(1)}%, p90 ${summary.p90AbsPct.toFixed(1)}%\n` +
          `noise floor (the same models measured twice, one pass after the other): ${pct(noise.within10)} within ±10%; |difference| median ${noise.medianAbsPct.toFixed(1)}%, p90 ${noise.p90AbsPct.toFixed(1)}%\n`,
      );
    }
  } finally {
    for (const m of models) m.model?.dispose();
  }
}

/**
 * `distillery bench` (latency of one model, or the predictor's error with `--predict`) and
 * `distillery profile-device` (the latency table).
 *
 * @example
 * // distillery bench runs/mlp/model --runtime onnx --batch 1,32 --threads 1 --json
 * // distillery profile-device --runtime tfjs-wasm --space examples/spaces/mnist-mobile.yaml --out table.json
 * // distillery bench --predict table.json --models runs/ --models specs.json
 * // lead: import { benchCommands } from './bench-commands.ts' and append them to `commands`
 */
export const benchCommands: CommandSpec[] = [
  {
    name: 'bench',
    description: 'measure latency (p50/p95/p99) and throughput of a model on onnxruntime, TF.js wasm, or TF.js wasm inside Chromium (browser); with --predict, the latency predictor against measurements',
    args: [{ name: 'model', description: 'model folder (holds model.json) or an .onnx file (onnx runtime only)' }],
    options: [
      { flags: '--runtime <name>', description: `${RUNTIMES.join(' | ')} (default onnx)` },
      { flags: '--batch <sizes>', description: 'batch sizes, e.g. 1,32 (default 1)' },
      { flags: '--threads <n>', description: 'runtime threads (default 1 on tfjs-wasm and browser, as profile-device times; all cores on onnx)' },
      { flags: '--warmup <n>', description: 'untimed runs per batch size (default 5; 10 with --predict)' },
      { flags: '--warmup-ms <ms>', description: 'least warm-up time per batch size (default 1000 on tfjs-wasm, where a sub-millisecond model speeds up for thousands of runs; 0 elsewhere)' },
      { flags: '--iterations <n>', description: 'timed runs per batch size (default 50; 100 with --predict)' },
      { flags: '--predict <table>', description: 'latency table from profile-device: report predicted against measured latency' },
      { flags: '--models <path>', description: 'with --predict: a model folder, a folder of them, or a spec list / search space (repeatable)', repeatable: true },
      { flags: '--samples <n>', description: 'with --predict: models drawn from a search-space file (default 20)' },
    ],
    async run(args, opts, flags) {
      if (opts['predict'] !== undefined) return predictMode(args[0], opts, flags);
      const model = args[0];
      if (model === undefined) throw new DistilleryError('CLI_ARGUMENT', 'bench needs a MODEL', 'pass a model folder or an .onnx file, e.g. distillery bench runs/mlp/model --runtime onnx', 'MODEL');
      const runtime = runtimeName(opts['runtime'] ?? 'onnx');
      const threads = positiveInt('threads', opts['threads']);
      const warmup = positiveInt('warmup', opts['warmup']);
      const warmupMs = nonNegativeNumber('warmup-ms', opts['warmupMs']) ?? (runtime === 'tfjs-wasm' ? 1000 : 0);
      const iterations = positiveInt('iterations', opts['iterations']);
      const batches = positiveInts('batch', opts['batch']) ?? [1];
      const { bench } = await import('../deploy/bench/index.ts');
      const r = await bench(model, {
        runtime,
        batches,
        ...(threads ? { threads } : {}),
        ...(warmup ? { warmup } : {}),
        warmupMs,
        ...(iterations ? { iterations } : {}),
        ...(flags.seed !== undefined ? { seed: flags.seed } : {}),
      });
      flags.reporter({ event: 'done', command: 'bench', ...r });
      if (!flags.json) {
        process.stdout.write(table([
          ['batch', 'p50 ms', 'p95 ms', 'p99 ms', 'samples/s'],
          ...r.batches.map((b) => [String(b.batch), ms(b.p50Ms), ms(b.p95Ms), ms(b.p99Ms), b.throughput.toFixed(0)]),
        ]));
        const cost = r.params !== undefined ? `: ${r.params} params, ${r.macs} MACs, ${r.bytes!.fp32} bytes fp32 (${r.bytes!.int8} int8)` : '';
        process.stdout.write(`${r.runtime}, ${r.threads} thread(s)${cost}\n`);
        for (const n of r.notes) process.stdout.write(`note: ${n}\n`);
      }
    },
  },
  {
    name: 'profile-device',
    description: 'time every block of a search space (or a list of specs) on a runtime at batch 1 and save the latency table the predictor reads',
    options: [
      { flags: '--runtime <name>', description: RUNTIMES.join(' | ') },
      { flags: '--space <file>', description: 'search-space file (sampled), or a YAML/JSON list of model specs' },
      { flags: '-o, --out <file>', description: 'where to write the table (JSON)' },
      { flags: '--threads <n>', description: 'runtime threads (default 1)' },
      { flags: '--samples <n>', description: 'models drawn from the space; their blocks are profiled, and up to 96 of them timed whole to fit the kernel model (default 200)' },
      { flags: '--warmup <n>', description: 'untimed runs per block (default 10)' },
      { flags: '--iterations <n>', description: 'timed runs per block or model in each of 3 interleaved rounds; a figure is the fastest run of its fastest round (default 100)' },
    ],
    async run(_args, opts, flags) {
      const runtime = runtimeName(requiredString('runtime', opts['runtime'], 'onnx'));
      const space = requiredString('space', opts['space'], 'examples/spaces/mnist-mobile.yaml');
      const out = requiredString('out', opts['out'], 'table.json');
      const samples = positiveInt('samples', opts['samples']) ?? 200;
      const threads = positiveInt('threads', opts['threads']) ?? 1;
      const warmup = positiveInt('warmup', opts['warmup']);
      const iterations = positiveInt('iterations', opts['iterations']);
      const { profileDevice, readSpecSource } = await import('../deploy/predict/index.ts');
      const specs = readSpecSource(space, { samples, ...(flags.seed !== undefined ? { seed: flags.seed } : {}) });
      const t0 = Date.now();
      const t = await profileDevice(specs, { runtime, threads, reporter: flags.reporter, ...(warmup ? { warmup } : {}), ...(iterations ? { iterations } : {}) });
      writeJsonAtomic(out, t);
      const seconds = (Date.now() - t0) / 1000;
      const blocks = Object.keys(t.entries).length;
      flags.reporter({ event: 'done', command: 'profile-device', out, runtime, threads, models: specs.length, blocks, scale: t.scale, overheadMs: t.overheadMs, ...(t.kernels ? { kernelModels: t.kernels.n, kernelFitMedianPct: t.kernels.fitMedianAbsPct } : {}), seconds });
      const kernels = t.kernels ? `; kernel model fitted on ${t.kernels.n} whole models` : '';
      if (!flags.json) process.stdout.write(`${blocks} blocks from ${specs.length} models profiled on ${runtime} (${threads} thread(s))${kernels} in ${seconds.toFixed(0)} s; table saved to ${out}\n`);
    },
  },
];
