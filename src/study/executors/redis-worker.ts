import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Worker } from 'bullmq';
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { DistilleryEvent, Reporter } from '../../core/events.ts';
import { silentReporter } from '../../core/events.ts';
import { errorData } from './protocol.ts';
import { bullConnection, connectRedis, parseRedisUrl, QUEUE_REGISTRY, scrub, unreachable, VERDICT_PREFIX } from './redis-conn.ts';
import { ARTIFACT_LIMIT } from './redis.ts';
import type { TrialJobData, TrialJobResult, TrialProgress } from './redis.ts';
import { TrialRunner } from './runner.ts';

/**
 * BullMQ's fault settings: a worker renews its job's lock every 5 s; a lock not renewed for
 * 10 s (the worker was killed or lost its network) makes the job stalled, which another worker
 * notices within 5 s and runs again. Recovery takes 10-20 s instead of the ~90 s of the defaults.
 * `maxStalledCount` is high so that a job whose workers keep dying is retried, not failed.
 */
export const WORKER_SETTINGS = { lockDuration: 10_000, stalledInterval: 5_000, maxStalledCount: 20 } as const;

/** Options of {@link startWorker}. */
export interface WorkerOptions {
  /** `redis://[:password@]host:port[/db]` */
  redis: string;
  /** Trials trained at once per queue (default 1). */
  concurrency?: number;
  /** Engine settings for every study (default: each study's own). */
  backend?: string;
  threads?: number;
  /** Serve only this queue (default: every queue coordinators register, found within a second). */
  queue?: string;
  reporter?: Reporter;
  /** Longest wait for the coordinator's pruning verdict after an epoch (default 5000 ms; then the trial goes on). */
  verdictWaitMs?: number;
  /** Seconds Redis may stay unreachable before the worker stops with `REDIS_UNREACHABLE` (default 15). */
  patience?: number;
}

/** A running worker: `done` settles when it stops (`close()`, or Redis lost for good). */
export interface WorkerHandle {
  name: string;
  done: Promise<void>;
  close(): Promise<void>;
}

/**
 * `distillery worker`: connects to Redis (failing fast with one `REDIS_UNREACHABLE` line), then
 * trains the trials of every study queue registered there. Each study's evaluator (its data and
 * teacher logits) is built once per worker, keyed by its frozen config. Each trial trains in a
 * temporary folder; its saved model travels back base64-encoded in the job's result, so workers
 * need no shared disk (up to {@link ARTIFACT_LIMIT}; beyond that the metrics come back alone).
 *
 * @example
 * const w = await startWorker({ redis: 'redis://127.0.0.1:6379', reporter: console.log });
 * process.on('SIGTERM', () => void w.close());
 * await w.done;
 */
export async function startWorker(opts: WorkerOptions): Promise<WorkerHandle> {
  const target = parseRedisUrl(opts.redis, '--redis');
  const redis = await connectRedis(target);
  const report = opts.reporter ?? silentReporter;
  const emit = (e: Record<string, unknown>) => report(e as DistilleryEvent);
  const name = `${hostname()}:${process.pid}`;
  const runner = new TrialRunner({ ...(opts.backend ? { backend: opts.backend } : {}), ...(opts.threads ? { threads: opts.threads } : {}) });
  const workers = new Map<string, Worker<TrialJobData, TrialJobResult>>();
  const connection = bullConnection(target);

  const process1 = async (job: Job<TrialJobData, TrialJobResult>): Promise<TrialJobResult> => {
    const { frozen, trial } = job.data;
    const token = `${name}:${Date.now()}:${Math.random().toString(36).slice(2, 8)}`;
    emit({ event: 'trial_start', trial: trial.trialId, number: trial.number, queue: job.queueName, job: job.id });
    await job.updateProgress({ kind: 'start', token, worker: name } satisfies TrialProgress);
    const dir = mkdtempSync(join(tmpdir(), 'distillery-trial-'));
    try {
      const outcome = await runner.run(frozen, { ...trial, artifactDir: dir }, async (step, objectives, metrics) => {
        emit({ event: 'trial_epoch', trial: trial.trialId, number: trial.number, step, ...metrics });
        await job.updateProgress({ kind: 'epoch', token, step, objectives: objectives.map((x) => (Number.isFinite(x) ? x : null)), metrics } satisfies TrialProgress);
        return verdict(redis, `${VERDICT_PREFIX}${job.id}:${token}:${step}`, opts.verdictWaitMs ?? 5000);
      });
      const files = collect(dir);
      let note: string | undefined;
      const size = Object.values(files).reduce((a, f) => a + f.length, 0);
      let artifacts: Record<string, string> = Object.fromEntries(Object.entries(outcome.artifacts).map(([k, p]) => [k, relative(dir, p)]));
      if (size > ARTIFACT_LIMIT) {
        note = `its saved model (${(size / 2 ** 20).toFixed(1)} MiB) is over the ${ARTIFACT_LIMIT / 2 ** 20} MiB a worker ships back through Redis: only its metrics were kept`;
        artifacts = {};
      }
      emit({ event: 'trial_done', trial: trial.trialId, number: trial.number, state: outcome.state, objectives: outcome.objectives ?? null });
      return { outcome: { ...outcome, artifacts }, files: note ? {} : Object.fromEntries(Object.entries(files).map(([k, b]) => [k, b.toString('base64')])), worker: name, ...(note ? { note } : {}) };
    } catch (e) {
      const d = errorData(e);
      emit({ event: 'warning', message: `trial ${trial.number}: ${d.code}: ${d.message}` });
      throw new Error(`${d.code}: ${d.message}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  const serve = (queue: string) => {
    const w = new Worker<TrialJobData, TrialJobResult>(queue, process1, { connection, concurrency: opts.concurrency ?? 1, ...WORKER_SETTINGS });
    w.on('error', () => {}); // connection trouble is reported once, by the health check below
    workers.set(queue, w);
    emit({ event: 'info', message: `worker ${name}: serving queue '${queue}'`, queue });
  };

  let stop: (e?: unknown) => void = () => {};
  const done = new Promise<void>((resolve, reject) => (stop = (e) => (e ? reject(e) : resolve())));
  let down = 0;
  let closing: Promise<void> | undefined;
  const tick = async () => {
    try {
      const names = opts.queue ? [opts.queue] : await redis.smembers(QUEUE_REGISTRY);
      down = 0;
      for (const q of names) if (!workers.has(q)) serve(q);
      // A study that ended takes its queue out of the registry: stop listening to it.
      for (const [q, w] of workers) {
        if (!names.includes(q)) {
          workers.delete(q);
          void w.close();
        }
      }
    } catch (e) {
      if ((down += 1000) >= (opts.patience ?? 15) * 1000) void shutdown(unreachable(target, `no answer for ${down / 1000} s (${scrub(target, e)})`));
    }
  };
  const timer = setInterval(() => void tick(), 1000);
  const shutdown = (e?: unknown): Promise<void> => {
    closing ??= (async () => {
      clearInterval(timer);
      // Force: a trial cut short stalls and another worker takes it up.
      await Promise.allSettled([...workers.values()].map((w) => w.close(true)));
      await runner.dispose();
      redis.disconnect();
      stop(e);
    })();
    return closing;
  };
  emit({ event: 'info', message: `worker ${name}: connected to ${target.shown}; ${opts.queue ? `serving queue '${opts.queue}'` : 'serving the queues that `distillery search --executor` registers'}` });
  await tick();
  if (opts.queue === undefined && workers.size === 0) emit({ event: 'info', message: `worker ${name}: no study queued yet; waiting` });
  return { name, done, close: () => shutdown() };
}

/** Waits briefly for the coordinator's pruning verdict; without one the trial goes on. */
async function verdict(redis: Redis, key: string, waitMs: number): Promise<boolean> {
  const until = Date.now() + waitMs;
  for (;;) {
    const v = await redis.get(key).catch(() => null);
    if (v !== null) return v === '1';
    if (Date.now() >= until) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every file under `dir`, by relative path. */
function collect(dir: string, base = dir, out: Record<string, Buffer> = {}): Record<string, Buffer> {
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) collect(p, base, out);
    else out[relative(base, p)] = readFileSync(p);
  }
  return out;
}
