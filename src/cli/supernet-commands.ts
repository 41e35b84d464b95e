import { DistilleryError } from '../core/errors.ts';
import type { CommandSpec, GlobalFlags } from './spec.ts';
import { positiveInt, positiveNumber } from './options.ts';
import { trialLines } from './search-commands.ts';

const ACTIONS = ['train', 'search', 'extract'];
const BACKENDS = ['auto', 'native', 'wasm', 'cpu', 'node'];
const RUNTIMES = ['onnx', 'tfjs-wasm', 'browser'] as const;

function need(opts: Record<string, unknown>, key: string, hint: string): string {
  const v = opts[key];
  if (typeof v !== 'string') throw new DistilleryError('CLI_OPTION_REQUIRED', `--${key} is required`, hint, `--${key}`);
  return v;
}

/**
 * `distillery supernet train --config FILE --out DIR [--resume]`, `supernet search --supernet DIR
 * --store DB [--limits L] [--runtime onnx | --predictor TABLE]`, `supernet extract --supernet DIR
 * --trial N --out DIR [--onnx] [--finetune-epochs N [--finetune-lr X] [--resume]]`: see docs/supernet.md.
 */
export const supernetCommands: CommandSpec[] = [
  {
    name: 'supernet',
    description: 'once-for-all: train a weight-sharing supernet once, search its subnets per device without training, extract one as a plain model',
    args: [{ name: 'action', description: 'train | search | extract', required: true }],
    options: [
      { flags: '-c, --config <file>', description: 'train: supernet config (data, supernet space, train, sandwich, calibration, search defaults)' },
      { flags: '-o, --out <dir>', description: 'train: the supernet folder to write; extract: the model folder to write' },
      { flags: '--resume', description: 'train: continue from the last checkpoint in --out; search: continue the study in --store; extract: continue the fine-tuning' },
      { flags: '--set <key=value>', description: 'train: override a config key, e.g. --set train.epochs=1 (repeatable)', repeatable: true },
      { flags: '--backend <name>', description: `train: engine, ${BACKENDS.join(' | ')} (default: the config's)` },
      { flags: '--supernet <dir>', description: 'search, extract: the folder `supernet train` wrote' },
      { flags: '--store <file>', description: 'search: the study store (SQLite; created when absent); extract: where the trial is (default: the last search)' },
      { flags: '--limits <list>', description: 'search: hard limits, comma-separated, e.g. "macs<=60000,latencyMs<=0.2" (repeatable)', repeatable: true },
      { flags: '--runtime <name>', description: `search: time each subnet in ${RUNTIMES.join(' | ')} (latencyMs)` },
      { flags: '--predictor <table>', description: 'search: a profile-device latency table (predictedLatencyMs from the spec)' },
      { flags: '--objectives <list>', description: 'search: metric:max|min pairs (default accuracy:max and latency or macs:min)' },
      { flags: '--strategy <name>', description: 'search: random | evolution | tpe | nsga2 (default: the config\'s, evolution)' },
      { flags: '--trials <n>', description: 'search: subnets to score (default: the config\'s, 30)' },
      { flags: '--study <name>', description: 'search, extract: the study name (default <supernet name>-search)' },
      { flags: '--trial <n>', description: 'extract: the trial number (as `search show` lists it)' },
      { flags: '--onnx', description: 'extract: also export model.onnx, with the parity check' },
      { flags: '--finetune-epochs <n>', description: 'extract: fine-tune the subnet for n epochs by distillation from the largest subnet (checkpointed; parity with the supernet is checked before)' },
      { flags: '--finetune-lr <x>', description: 'extract: the fine-tuning learning rate (default a tenth of the supernet\'s)' },
    ],
    async run(args, opts, flags: GlobalFlags) {
      const action = args[0];
      if (!ACTIONS.includes(String(action))) throw new DistilleryError('CLI_SUPERNET_ACTION', `supernet ${String(action)}: unknown action`, `use one of: ${ACTIONS.join(', ')}`);
      if (action === 'train') {
        const file = need(opts, 'config', 'pass --config FILE, e.g. --config examples/mnist-supernet.yaml');
        const out = need(opts, 'out', 'for example --out runs/supernet');
        const backend = opts['backend'];
        if (backend !== undefined && !BACKENDS.includes(String(backend))) throw new DistilleryError('CLI_BACKEND', `--backend ${String(backend)}: unknown backend`, `use one of: ${BACKENDS.join(', ')}`, '--backend');
        const { loadSupernetConfig, trainSupernet } = await import('../supernet/index.ts');
        const { config, baseDir } = await loadSupernetConfig(file, (opts['set'] as string[] | undefined) ?? [], { ...(flags.seed !== undefined ? { seed: flags.seed } : {}), ...(backend ? { backend } : {}) });
        const r = await trainSupernet(config, { out, baseDir, resume: opts['resume'] === true, reporter: flags.reporter });
        if (!flags.json) {
          const last = r.history.at(-1) ?? {};
          process.stdout.write(`supernet ${r.out}: ${r.steps} steps, ${r.trainingMacs.toExponential(3)} training MACs, ${Math.round(r.seconds)} s; validation accuracy after recalibration: largest ${(100 * (last['valAccuracyLargest'] ?? NaN)).toFixed(2)}%, smallest ${(100 * (last['valAccuracySmallest'] ?? NaN)).toFixed(2)}%\n`);
        }
        return;
      }
      const supernet = need(opts, 'supernet', 'pass the folder of `supernet train`, e.g. --supernet runs/supernet');
      const study = typeof opts['study'] === 'string' ? opts['study'] : undefined;
      if (action === 'search') {
        const store = need(opts, 'store', 'for example --store runs/ofa.db');
        const runtime = opts['runtime'];
        if (runtime !== undefined && !(RUNTIMES as readonly unknown[]).includes(runtime)) throw new DistilleryError('CLI_RUNTIME', `--runtime ${String(runtime)}: unknown runtime`, `use one of: ${RUNTIMES.join(', ')}`, '--runtime');
        const limits = ((opts['limits'] as string[] | undefined) ?? []).flatMap((l) => l.split(',')).map((l) => l.trim()).filter((l) => l !== '');
        const trials = positiveInt('trials', opts['trials']);
        const { searchSupernet } = await import('../supernet/index.ts');
        const { formatSummary } = await import('../store/index.ts');
        const s = await searchSupernet({
          supernet, store, reporter: flags.json ? flags.reporter : trialLines(flags.reporter), resume: opts['resume'] === true,
          ...(limits.length > 0 ? { limits } : {}), ...(runtime ? { runtime: runtime as (typeof RUNTIMES)[number] } : {}),
          ...(typeof opts['predictor'] === 'string' ? { predictor: opts['predictor'] } : {}), ...(typeof opts['objectives'] === 'string' ? { objectives: opts['objectives'] } : {}),
          ...(typeof opts['strategy'] === 'string' ? { strategy: opts['strategy'] } : {}), ...(trials ? { trials } : {}), ...(study ? { study } : {}), ...(flags.seed !== undefined ? { seed: flags.seed } : {}),
        });
        if (!flags.json) process.stdout.write(formatSummary(s) + `\nextract one: distillery supernet extract --supernet ${supernet} --trial N --out DIR\n`);
        return;
      }
      const out = need(opts, 'out', 'for example --out runs/picked');
      const trial = opts['trial'] === undefined ? undefined : Number(opts['trial']);
      if (trial === undefined || !Number.isInteger(trial) || trial < 0) throw new DistilleryError('CLI_NUMBER', `--trial ${String(opts['trial'])}: expected a trial number`, 'for example --trial 3 (from `search show`)', '--trial');
      const epochs = positiveInt('finetune-epochs', opts['finetuneEpochs']);
      const lr = positiveNumber('finetune-lr', opts['finetuneLr']);
      if (epochs === undefined && (lr !== undefined || opts['resume'] === true)) {
        throw new DistilleryError('CLI_OPTION_REQUIRED', `extract: ${lr !== undefined ? '--finetune-lr' : '--resume'} applies to fine-tuning, which --finetune-epochs N asks for`, 'add --finetune-epochs N, e.g. --finetune-epochs 2', '--finetune-epochs');
      }
      const finetune = epochs !== undefined ? { epochs, ...(lr !== undefined ? { lr } : {}), resume: opts['resume'] === true } : undefined;
      const { extractFromSupernet } = await import('../supernet/index.ts');
      const r = await extractFromSupernet({ supernet, trial, out, onnx: opts['onnx'] === true, reporter: flags.reporter, ...(finetune ? { finetune } : {}), ...(typeof opts['store'] === 'string' ? { store: opts['store'] } : {}), ...(study ? { study } : {}) });
      flags.reporter({ event: 'done', command: 'supernet extract', out: r.out, subnet: r.subnet, name: r.name, maxAbsDiff: r.maxAbsDiff, accuracy: r.accuracy, params: r.params, ...(r.finetune ? { finetune: r.finetune } : {}), ...(r.onnx ? { onnx: { file: r.onnx.file, parity: r.onnx.parity } } : {}) });
      if (!flags.json) {
        const f = r.finetune;
        const tuned = f ? `; fine-tuned ${f.epochs} epoch(s): validation accuracy ${(100 * f.after.validation).toFixed(2)}%${f.after.test !== undefined ? `, test ${(100 * f.after.test).toFixed(2)}%` : ''} (the parity above is of the subnet before fine-tuning)` : '';
        process.stdout.write(`${r.out}: ${r.name}, ${r.params.toLocaleString('en-US')} params, validation accuracy ${(100 * r.accuracy).toFixed(2)}%, max |extracted - supernet| ${r.maxAbsDiff.toExponential(1)}${tuned}${r.onnx ? `; ONNX ${r.onnx.file}` : ''}\n`);
      }
    },
  },
];
