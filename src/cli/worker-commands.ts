import { DistilleryError } from '../core/errors.ts';
import type { Reporter } from '../core/events.ts';
import type { CommandSpec, GlobalFlags } from './spec.ts';
import { positiveInt } from './options.ts';

const BACKENDS = ['auto', 'native', 'wasm', 'cpu', 'node'];

/** Human lines for a worker: one per trial started, epoch and finished, on stderr. */
function workerLines(inner: Reporter, stream: NodeJS.WriteStream = process.stderr): Reporter {
  return (e) => {
    const k = e.event as string;
    if (k === 'trial_start') stream.write(`trial ${String(e['number'])} (queue ${String(e['queue'])}): started\n`);
    else if (k === 'trial_epoch') stream.write(`trial ${String(e['number'])} epoch ${Number(e['step']) + 1}: loss ${Number(e['loss']).toFixed(4)}\n`);
    else if (k === 'trial_done') stream.write(`trial ${String(e['number'])}: ${String(e['state'])}\n`);
    else inner(e);
  };
}

/**
 * `distillery worker --redis URL [--concurrency 1] [--queue NAME] [--backend B] [--threads T]`:
 * trains the trials that `distillery search --executor URL` queues, on this machine, until
 * Ctrl-C (or SIGTERM). With no `--queue`, it serves every study queue registered in that Redis.
 * The lead adds `...workerCommands` to the CLI's command list.
 */
export const workerCommands: CommandSpec[] = [
  {
    name: 'worker',
    description: 'train trials queued in Redis by `distillery search --executor redis://…`, until stopped',
    options: [
      { flags: '--redis <url>', description: 'redis://[:password@]host:port[/db] (the password is never printed)' },
      { flags: '--concurrency <n>', description: 'trials trained at once (default 1)' },
      { flags: '--queue <name>', description: 'serve only this study queue (default: every one `search --executor` registers)' },
      { flags: '--backend <name>', description: `engine: ${BACKENDS.join(' | ')} (default: the study's)` },
      { flags: '--threads <n>', description: "threads for the wasm engine (default: the study's)" },
    ],
    async run(_args, opts, flags: GlobalFlags) {
      const url = opts['redis'];
      if (typeof url !== 'string') throw new DistilleryError('CLI_REDIS_REQUIRED', 'worker needs the Redis URL the coordinator uses', 'pass --redis redis://HOST:6379 (the same as `search --executor`)', '--redis');
      const backend = opts['backend'];
      if (backend !== undefined && !BACKENDS.includes(String(backend))) {
        throw new DistilleryError('CLI_BACKEND', `--backend ${String(backend)}: unknown backend`, `use one of: ${BACKENDS.join(', ')}`, '--backend');
      }
      const concurrency = positiveInt('concurrency', opts['concurrency']);
      const threads = positiveInt('threads', opts['threads']);
      const { startWorker } = await import('../study/executors/index.ts'); // TF.js, BullMQ: only when it runs
      const w = await startWorker({
        redis: url,
        reporter: flags.json ? flags.reporter : workerLines(flags.reporter),
        ...(concurrency ? { concurrency } : {}),
        ...(threads ? { threads } : {}),
        ...(typeof backend === 'string' ? { backend } : {}),
        ...(typeof opts['queue'] === 'string' ? { queue: opts['queue'] } : {}),
      });
      const stop = () => void w.close();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      try {
        await w.done;
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      }
    },
  },
];
