import { DistilleryError } from '../core/errors.ts';
// The jobs (and through them TF.js, onnxruntime, SQLite, BullMQ) are imported by the command
// that runs them: `--help` and a flag error load none, `train` loads no search or export.
import type { TrainOptions } from '../jobs/train.ts';
import type { BackendName } from '../engine/index.ts';
import { table } from './reporters.ts';
import type { CommandSpec, GlobalFlags } from './spec.ts';
import { positiveInt as intFlag } from './options.ts';
import { gainLine, resultRows } from './format.ts';
import { exportCommands } from './export-commands.ts';
import { benchCommands } from './bench-commands.ts';
import { searchCommands } from './search-commands.ts';
import { reportCommands } from './report-commands.ts';
import { dashboardCommands } from './dashboard-commands.ts';
import { workerCommands } from './worker-commands.ts';
import { predictCommands } from './predict-commands.ts';
import { compareCommands } from './compare-commands.ts';
import { supernetCommands } from './supernet-commands.ts';

const BACKENDS = ['auto', 'native', 'wasm', 'cpu', 'node'] as const;

function backendFlag(v: unknown): BackendName | undefined {
  if (v === undefined) return undefined;
  if (!(BACKENDS as readonly unknown[]).includes(v)) {
    throw new DistilleryError('CLI_BACKEND', `--backend ${String(v)}: unknown backend`, `use one of: ${BACKENDS.join(', ')}`, '--backend');
  }
  return v as BackendName;
}

/** Config values that come from flags rather than the file. */
function flagOverrides(opts: Record<string, unknown>, flags: GlobalFlags): Record<string, unknown> {
  const backend = backendFlag(opts['backend']);
  const threads = intFlag('threads', opts['threads']);
  return {
    ...(flags.seed !== undefined ? { seed: flags.seed } : {}),
    ...(backend ? { backend } : {}),
    ...(threads ? { threads } : {}),
  };
}

const engineOptions = [
  { flags: '--backend <name>', description: `engine: ${BACKENDS.join(' | ')} (default auto)` },
  { flags: '--threads <n>', description: 'threads for the wasm engine (default: all cores)' },
];

/** The options of commands that run a config file (train, distill). */
function configOptions(sections: string): NonNullable<CommandSpec['options']> {
  return [
    { flags: '-c, --config <file>', description: `YAML, JSON or TS config (${sections})` },
    { flags: '--set <key=value>', description: 'override a config key, e.g. --set train.epochs=3 (repeatable)', repeatable: true },
    { flags: '-o, --out <dir>', description: 'output folder (default runs/<name>-<time>)' },
    { flags: '--resume', description: 'continue the interrupted run in --out from its last checkpoint' },
    ...engineOptions,
  ];
}

function configFile(command: string, opts: Record<string, unknown>, example: string): string {
  const file = opts['config'];
  if (typeof file !== 'string') {
    throw new DistilleryError('CLI_CONFIG_REQUIRED', `${command} needs a config file`, `pass --config FILE, e.g. --config ${example}`, '--config');
  }
  return file;
}

/** What the flags of {@link configOptions} ask of a train or distill job. */
function jobOptions(opts: Record<string, unknown>, flags: GlobalFlags, baseDir: string): TrainOptions {
  return { baseDir, reporter: flags.reporter, resume: opts['resume'] === true, ...(typeof opts['out'] === 'string' ? { out: opts['out'] } : {}) };
}

export const commands: CommandSpec[] = [
  {
    name: 'train',
    description: 'train one model from a config file',
    options: configOptions('data, model, train'),
    async run(_args, opts, flags) {
      const file = configFile('train', opts, 'examples/mnist-mlp.yaml');
      const { loadTrainConfig, train } = await import('../jobs/train.ts');
      const { config, baseDir } = await loadTrainConfig(file, opts['set'] as string[], flagOverrides(opts, flags));
      const result = await train(config, jobOptions(opts, flags, baseDir));
      flags.reporter({ event: 'done', command: 'train', ...result });
      if (!flags.json) process.stdout.write(table(resultRows([[config.name ?? config.model.name ?? 'model', result]])) + `model saved to ${result.modelDir}\n`);
    },
  },
  {
    name: 'distill',
    description: 'distil a teacher (TF.js folder, ONNX file or ensemble) into a student from a config file',
    options: configOptions('data, model = the student, train, teacher, loss, cache'),
    async run(_args, opts, flags) {
      const file = configFile('distill', opts, 'examples/mnist-distill.yaml');
      const { distill, loadDistillConfig } = await import('../jobs/distill.ts');
      const { config, baseDir } = await loadDistillConfig(file, opts['set'] as string[], flagOverrides(opts, flags));
      const result = await distill(config, jobOptions(opts, flags, baseDir));
      flags.reporter({ event: 'done', command: 'distill', ...result });
      if (!flags.json) {
        const teacherName = `teacher (${result.teacher.kind})`;
        process.stdout.write(table(resultRows([[teacherName, result.teacher], [config.name ?? config.model.name ?? 'student', result.student]])));
        process.stdout.write(gainLine(result.teacher, result.student));
        process.stdout.write(`student saved to ${result.student.modelDir}\n`);
      }
    },
  },
  {
    name: 'quickstart',
    description: 'end to end on MNIST: a teacher, a small student trained alone and distilled, a small architecture search, and the ONNX export of the best',
    options: [
      { flags: '-o, --out <dir>', description: 'output folder (default runs/quickstart-<time>)' },
      { flags: '--limit <n>', description: 'use only the first N training images (quicker, less accurate)' },
      { flags: '--epochs <n>', description: 'epochs for teacher and student (the search trains min(n, 3) per candidate)' },
      { flags: '--trials <n>', description: 'candidates the architecture search trains (default 6)' },
      ...engineOptions,
    ],
    async run(_args, opts, flags) {
      const limit = intFlag('limit', opts['limit']);
      const epochs = intFlag('epochs', opts['epochs']);
      const trials = intFlag('trials', opts['trials']);
      const backend = backendFlag(opts['backend']);
      const threads = intFlag('threads', opts['threads']);
      const { quickstart, quickstartTables } = await import('../jobs/quickstart.ts');
      // Human output: one line per search trial as it ends (the JSON stream has the events).
      const reporter: typeof flags.reporter = flags.json
        ? flags.reporter
        : (e) => {
            if (e.event === 'trial_done') {
              const o = e['objectives'] as Record<string, number> | null;
              const vals = o ? `  val accuracy ${(100 * o['accuracy']!).toFixed(2)}%  MACs ${o['macs']!.toLocaleString('en-US')}` : '';
              process.stderr.write(`search trial ${e.number}: ${String(e['state'])}${vals}${e['reason'] ? `  (${String(e['reason']).slice(0, 100)})` : ''}\n`);
            }
            flags.reporter(e);
          };
      const result = await quickstart({
        reporter,
        ...(typeof opts['out'] === 'string' ? { out: opts['out'] } : {}),
        ...(limit ? { limit } : {}),
        ...(epochs ? { epochs } : {}),
        ...(trials ? { trials } : {}),
        ...(backend ? { backend } : {}),
        ...(threads ? { threads } : {}),
        ...(flags.seed !== undefined ? { seed: flags.seed } : {}),
      });
      flags.reporter({ event: 'done', command: 'quickstart', ...result });
      if (!flags.json) {
        process.stdout.write(table(resultRows([['teacher', result.teacher], ['student alone', result.student], ['student distilled', result.distilled]])));
        process.stdout.write(gainLine(result.teacher, result.distilled, result.student));
        const s = result.search;
        const c = s.counts;
        const t = quickstartTables(result);
        process.stdout.write(`\nsearch: ${s.trials} candidates trained (${c.complete} complete, ${c.pruned} pruned, ${c.failed} failed), ${c.infeasible} over ${s.limit} never trained; Pareto front (${s.pareto.length}) of accuracy against MACs, dominating ${(100 * s.hypervolume / s.reference[1]!).toFixed(1)}% of the box accuracy 0-1 × MACs 0-${s.reference[1]!.toLocaleString('en-US')}:\n`);
        process.stdout.write(table(t.front));
        const x = result.export;
        process.stdout.write(`\nexported ${x.source}: ${x.why}\n`);
        process.stdout.write(table(t.variants));
        process.stdout.write(`ONNX fp32 against TF.js on ${x.parity.samples.toLocaleString('en-US')} test images: max |diff| ${x.parity.maxAbsDiff.toExponential(1)}, ${x.parity.classDiffers} predicted classes differ${x.parity.ok ? '' : ' (NOT within tolerance)'}\n`);
        process.stdout.write(`models saved under ${result.out} (study: ${s.store}; ONNX: ${x.dir})\n`);
        process.stdout.write(`report: ${result.report.html} (open it in a browser; Markdown: ${result.report.markdown})\n`);
      }
    },
  },
  {
    name: 'doctor',
    description: 'say which engine runs here, with how many threads',
    options: engineOptions,
    async run(_args, opts, flags) {
      const backend = backendFlag(opts['backend']);
      const threads = intFlag('threads', opts['threads']);
      const { initEngine } = await import('../engine/index.ts');
      const engine = await initEngine({ ...(backend ? { backend } : {}), ...(threads ? { threads } : {}) });
      flags.reporter({ event: 'done', command: 'doctor', engine, node: process.version, platform: `${process.platform}-${process.arch}` });
      if (!flags.json) {
        process.stdout.write(`engine: ${engine.backend}, ${engine.threads} thread(s), simd ${engine.simd ? 'on' : 'off'}\n`);
        for (const n of engine.notes) process.stdout.write(`note: ${n}\n`);
      }
    },
  },
  ...exportCommands,
  ...benchCommands,
  ...searchCommands,
  ...workerCommands,
  ...reportCommands,
  ...dashboardCommands,
  ...predictCommands,
  ...compareCommands,
  ...supernetCommands,
];
