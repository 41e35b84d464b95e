import { DistilleryError } from '../core/errors.ts';
import type { Reporter } from '../core/events.ts';
import type { StudySummary } from '../store/index.ts';
import type { CommandSpec, GlobalFlags } from './spec.ts';

const BACKENDS = ['auto', 'native', 'wasm', 'cpu', 'node'];

function storeFlag(opts: Record<string, unknown>): string {
  const s = opts['store'];
  if (typeof s !== 'string') throw new DistilleryError('CLI_STORE_REQUIRED', 'search needs a study store', 'pass --store FILE.db (created when absent)', '--store');
  return s;
}

/** Human progress for a search: one line per finished trial on stderr, besides the usual events. */
export function trialLines(inner: Reporter, stream: NodeJS.WriteStream = process.stderr): Reporter {
  return (e) => {
    if (e.event === ('trial_done' as string)) {
      const o = e['objectives'] as Record<string, number> | null;
      const vals = o ? Object.entries(o).map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toPrecision(4)}`).join('  ') : '';
      stream.write(`trial ${String(e['number'])}: ${String(e['state'])}${vals ? `  ${vals}` : ''}${e['reason'] ? `  (${String(e['reason']).slice(0, 100)})` : ''}\n`);
    } else if (e.event === ('trial_epoch' as string)) {
      const acc = e['valAccuracy'];
      stream.write(`trial ${String(e['number'])} epoch ${Number(e['step']) + 1}: loss ${Number(e['loss']).toFixed(4)}${typeof acc === 'number' ? `  val_acc ${acc.toFixed(4)}` : ''}\n`);
    } else if (e.event === ('trial_start' as string)) {
      const attempt = Number(e['attempt'] ?? 1);
      stream.write(`trial ${String(e['number'])}: ${JSON.stringify(e['params'])}${attempt > 1 ? ` (attempt ${attempt})` : ''}\n`);
    }
    inner(e);
  };
}

function showJson(s: StudySummary): string {
  return JSON.stringify({ study: s.study, objectives: s.objectives, counts: s.counts, trials: s.trials, pareto: s.pareto, hypervolume: s.hypervolume, reference: s.reference }) + '\n';
}

/**
 * `distillery search --config FILE --store study.db [--resume] [--set k=v] [--table FILE --objectives c:max,...]
 * [--workers N] [--executor redis://…]` runs a study (inline, on N local processes, or through Redis); `distillery search show --store study.db [--json]` prints its trials and front.
 * The lead adds these to the CLI's command list.
 */
export const searchCommands: CommandSpec[] = [
  {
    name: 'search',
    description: 'architecture search: run a study (or `search show` to print one) stored in an SQLite file',
    args: [{ name: 'action', description: "'show': print the study's trials and Pareto front instead of running it" }],
    options: [
      { flags: '-c, --config <file>', description: 'study config: data, space, teacher/loss, train, strategy, objectives, limits, budget, latency' },
      { flags: '--store <file>', description: 'the study store (SQLite; created when absent)' },
      { flags: '--resume', description: 'continue the study in --store after an interruption' },
      { flags: '--set <key=value>', description: 'override a config key, e.g. --set budget.trials=4 (repeatable)', repeatable: true },
      { flags: '--table <file>', description: 'read objectives from a CSV benchmark instead of training' },
      { flags: '--objectives <list>', description: 'with --table: columns and directions, e.g. c10_valid_12ep:max,lat_ms_pixel3:min' },
      { flags: '--study <name>', description: 'with show: the study to print (default: the latest)' },
      { flags: '--backend <name>', description: `engine: ${BACKENDS.join(' | ')} (default auto)` },
      { flags: '--threads <n>', description: 'threads for the wasm engine (with --workers: per worker, default 1)' },
      { flags: '--workers <n>', description: 'train N trials at once on N local worker processes (with --executor: trials kept queued in Redis, default 2)' },
      { flags: '--executor <url>', description: 'redis://[:password@]host:port[/db]: queue trials for `distillery worker --redis URL` processes (BullMQ)' },
    ],
    async run(args, opts, flags: GlobalFlags) {
      const store = storeFlag(opts);
      const action = args[0];
      if (action !== undefined && action !== 'show') {
        throw new DistilleryError('CLI_SEARCH_ACTION', `search ${action}: unknown action`, "use `search show --store FILE` to print a study, or `search --config FILE --store FILE` to run one");
      }
      // imported here, after the flags are checked: the loop loads TF.js, SQLite and BullMQ
      const { formatSummary } = await import('../store/index.ts');
      if (action === 'show') {
        const { showStudy } = await import('../study/index.ts');
        const s = await showStudy(store, typeof opts['study'] === 'string' ? opts['study'] : undefined);
        process.stdout.write(flags.json ? showJson(s) : formatSummary(s));
        return;
      }
      const backend = opts['backend'];
      if (backend !== undefined && !BACKENDS.includes(String(backend))) {
        throw new DistilleryError('CLI_BACKEND', `--backend ${String(backend)}: unknown backend`, `use one of: ${BACKENDS.join(', ')}`, '--backend');
      }
      const threads = opts['threads'] === undefined ? undefined : Number(opts['threads']);
      if (threads !== undefined && !(Number.isInteger(threads) && threads > 0)) {
        throw new DistilleryError('CLI_NUMBER', `--threads ${String(opts['threads'])}: expected a positive integer`, 'for example --threads 2', '--threads');
      }
      if ((opts['table'] === undefined) !== (opts['objectives'] === undefined) && opts['resume'] !== true) {
        throw new DistilleryError('CLI_TABLE', '--table and --objectives go together', 'pass both, e.g. --table bench/data/nb201-cifar10.csv --objectives c10_valid_12ep:max', '--objectives');
      }
      const workers = opts['workers'] === undefined ? undefined : Number(opts['workers']);
      if (workers !== undefined && !(Number.isInteger(workers) && workers > 0)) {
        throw new DistilleryError('CLI_NUMBER', `--workers ${String(opts['workers'])}: expected a positive integer`, 'for example --workers 2', '--workers');
      }
      const { search } = await import('../study/index.ts');
      const summary = await search({
        store,
        resume: opts['resume'] === true,
        sets: (opts['set'] as string[] | undefined) ?? [],
        overrides: { ...(flags.seed !== undefined ? { seed: flags.seed } : {}), ...(backend ? { backend } : {}), ...(threads ? { threads } : {}) },
        reporter: flags.json ? flags.reporter : trialLines(flags.reporter),
        ...(typeof opts['config'] === 'string' ? { config: opts['config'] } : {}),
        ...(typeof opts['table'] === 'string' ? { table: opts['table'] } : {}),
        ...(typeof opts['objectives'] === 'string' ? { objectives: opts['objectives'] } : {}),
        ...(workers !== undefined ? { workers } : {}),
        ...(typeof opts['executor'] === 'string' ? { executor: opts['executor'] } : {}),
      });
      if (!flags.json) process.stdout.write(formatSummary(summary));
    },
  },
];
