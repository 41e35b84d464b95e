import { join, normalize, sep } from 'node:path';
import { rmSync } from 'node:fs';
import { Queue, QueueEvents } from 'bullmq';
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { DistilleryError } from '../../core/errors.ts';
import type { Reporter } from '../../core/events.ts';
import { silentReporter } from '../../core/events.ts';
import { writeFileAtomic } from '../../core/fs.ts';
import type { EvalOutcome } from '../../evaluate/index.ts';
import type { Executor, FrozenStudy, TrialHooks, TrialSpec, TrialStatus } from '../executor.ts';
import { bullConnection, connectRedis, parseRedisUrl, QUEUE_REGISTRY, scrub, studyQueue, unreachable, VERDICT_PREFIX } from './redis-conn.ts';
import type { RedisTarget } from './redis-conn.ts';

/** What a job carries: everything a worker elsewhere needs, as JSON. */
export interface TrialJobData {
  frozen: FrozenStudy;
  trial: TrialSpec;
}

/** What a worker returns: the outcome, its artifacts' files (base64, by path relative to the trial folder), who ran it. */
export interface TrialJobResult {
  outcome: EvalOutcome;
  files: Record<string, string>;
  worker: string;
  /** Set when the artifacts were too big to ship (see {@link ARTIFACT_LIMIT}). */
  note?: string;
}

/** What a worker reports through `job.updateProgress`: its start (a new attempt) and each epoch. */
export type TrialProgress =
  | { kind: 'start'; token: string; worker: string }
  | { kind: 'epoch'; token: string; step: number; objectives: (number | null)[]; metrics: Record<string, number> };

/**
 * Largest total of a trial's artifact files shipped back through Redis: 32 MiB. Job results live
 * in Redis memory until the study ends; the models a search trains are small (an MLP of
 * 784-1200-1200-10 is 8 MiB as float32), and a bigger one is better kept on shared storage.
 */
export const ARTIFACT_LIMIT = 32 * 1024 * 1024;

/** Options of {@link RedisExecutor.connect}. */
export interface RedisExecutorOptions {
  frozen: FrozenStudy;
  /** The store's absolute path and the study's name: together they name the study's queue. */
  storePath: string;
  study: string;
  /** Trials kept in flight (queued or running); set it to the workers' total concurrency. */
  capacity: number;
  reporter?: Reporter;
  /** Seconds Redis may stay unreachable mid-study before the study stops with `REDIS_UNREACHABLE` (default 15). */
  patience?: number;
  /**
   * A study that starts now (not a resume): jobs left in its queue belong to an earlier study of
   * the same name in a store since deleted, and are dropped so that none is mistaken for a result.
   */
  fresh?: boolean;
}

interface Watch {
  hooks: TrialHooks;
  trial: TrialSpec;
  token: string | undefined;
  attempt: number;
  chain: Promise<unknown>;
  reading: boolean;
  again: boolean;
  settled: boolean;
  resolve: (o: EvalOutcome) => void;
  reject: (e: unknown) => void;
}

/**
 * Runs trials on `distillery worker` processes anywhere, through a BullMQ queue in Redis. The
 * job id is the trial's (`trial-<studyKey>-<trialId>`), so a re-submitted trial is not queued
 * twice and a result is read once. Progress comes back through `QueueEvents`: each epoch is
 * handed to the loop (which stores it and asks the pruner), and the verdict goes back to the
 * worker as a Redis key it waits on briefly. A worker that dies is noticed by BullMQ's stalled
 * check (lock 10 s, check every 5 s) and its job runs again on another worker; the new attempt
 * shows up as a progress `start` with a new token (`onRetry`). Results of jobs that finished
 * while this coordinator was down are read back from Redis (`status` says `finished`).
 *
 * @example
 * const ex = await RedisExecutor.connect('redis://127.0.0.1:6379', { frozen, storePath, study: 'mnist', capacity: 2 });
 * await runStudy(setup, { store, executor: ex });
 */
export class RedisExecutor implements Executor {
  readonly kind = 'redis';
  private readonly watches = new Map<string, Watch>();
  private readonly results = new Map<number, Promise<EvalOutcome>>();
  private readonly report: Reporter;
  private health: NodeJS.Timeout | undefined;
  private down = 0;
  private fatal: DistilleryError | undefined;
  private closed = false;

  private constructor(
    private readonly target: RedisTarget,
    private readonly redis: Redis,
    private readonly queue: Queue<TrialJobData, TrialJobResult>,
    private readonly events: QueueEvents,
    private readonly studyKey: string,
    private readonly opts: RedisExecutorOptions,
  ) {
    this.report = opts.reporter ?? silentReporter;
    events.on('progress', ({ jobId, data }) => this.onProgress(jobId, data as TrialProgress));
    events.on('completed', ({ jobId }) => void this.readBack(jobId));
    events.on('failed', ({ jobId }) => void this.readBack(jobId));
    const patience = (opts.patience ?? 15) * 1000;
    let ticks = 0;
    this.health = setInterval(() => {
      // Every 10 s, read every pending job again: a result whose event was missed is not lost.
      if (++ticks % 10 === 0) for (const id of this.watches.keys()) void this.readBack(id);
      this.redis.ping().then(
        () => (this.down = 0),
        (e: unknown) => {
          if ((this.down += 1000) >= patience) this.fail(unreachable(this.target, `no answer for ${this.down / 1000} s (${scrub(this.target, e)})`));
        },
      );
    }, 1000);
  }

  /** Connects (failing fast with `REDIS_UNREACHABLE`), opens the study's queue and registers it for workers. */
  static async connect(url: string, opts: RedisExecutorOptions): Promise<RedisExecutor> {
    const target = parseRedisUrl(url, '--executor');
    const redis = await connectRedis(target);
    const { queue: name, key } = studyQueue(opts.storePath, opts.study);
    const connection = bullConnection(target);
    const queue = new Queue<TrialJobData, TrialJobResult>(name, { connection });
    const events = new QueueEvents(name, { connection });
    const quiet = () => {};
    queue.on('error', quiet);
    events.on('error', quiet);
    await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
    if (opts.fresh) await queue.obliterate({ force: true });
    await redis.sadd(QUEUE_REGISTRY, name);
    (opts.reporter ?? silentReporter)({ event: 'info', message: `trials go to the Redis queue '${name}' at ${target.shown}: start workers with \`distillery worker --redis ${target.shown}\``, queue: name, redis: target.shown });
    return new RedisExecutor(target, redis, queue, events, key, opts);
  }

  get capacity(): number {
    return this.opts.capacity;
  }

  /** The queue's name (what `distillery worker --queue` takes). */
  get queueName(): string {
    return this.queue.name;
  }

  jobId(trialId: number): string {
    return `trial-${this.studyKey}-${trialId}`;
  }

  async status(trial: TrialSpec): Promise<TrialStatus> {
    const job = await this.queue.getJob(this.jobId(trial.trialId));
    if (!job) return 'unknown';
    const state = await job.getState();
    if (state === 'completed' || state === 'failed') return 'finished';
    return state === 'unknown' ? 'unknown' : 'queued';
  }

  submit(trial: TrialSpec, hooks: TrialHooks = {}): Promise<EvalOutcome> {
    const id = this.jobId(trial.trialId);
    const known = this.results.get(trial.trialId);
    if (known) return known;
    const shipped: TrialSpec = { ...trial };
    delete shipped.artifactDir; // the worker writes into a folder of its own and ships the files back
    const p = new Promise<EvalOutcome>((resolve, reject) => {
      if (this.fatal) return reject(this.fatal);
      const w: Watch = { hooks, trial, token: undefined, attempt: 1, chain: Promise.resolve(), reading: false, again: false, settled: false, resolve, reject };
      this.watches.set(id, w);
      // Added with the trial's id: a job that exists already (queued, running or finished) is kept.
      this.queue
        .add('trial', { frozen: this.opts.frozen, trial: shipped }, { jobId: id, attempts: 1, removeOnComplete: false, removeOnFail: false })
        .then(() => this.readBack(id))
        .catch((e: unknown) => this.settle(id, (x) => x.reject(unreachable(this.target, e))));
    });
    this.results.set(trial.trialId, p);
    return p;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.health);
    const clean = this.watches.size === 0 && !this.fatal;
    for (const id of [...this.watches.keys()]) this.settle(id, (w) => w.reject(new DistilleryError('REDIS_CLOSED', 'the study stopped while trials were queued', 'resume it with --resume: queued and finished jobs are picked up again')));
    try {
      if (clean) {
        // Every result is in the store now: the jobs (and their shipped models) can go.
        await this.redis.srem(QUEUE_REGISTRY, this.queue.name);
        await this.queue.obliterate({ force: true });
      }
    } catch {
      // Redis gone at the end: nothing left to clean that matters to the study.
    }
    // BullMQ's close waits for Redis; with Redis gone it would wait forever.
    await Promise.race([Promise.allSettled([this.events.close(), this.queue.close()]), new Promise((r) => setTimeout(r, 3000).unref())]);
    this.redis.disconnect();
  }

  private onProgress(jobId: string, p: TrialProgress): void {
    const w = this.watches.get(jobId);
    if (!w || w.settled || typeof p !== 'object' || p === null) return;
    if (w.token !== undefined && p.token !== w.token) {
      if (p.kind !== 'start') return; // a late message of an attempt already replaced
      w.attempt++;
      const why = `its worker stopped answering and ${p.worker} took it over`;
      w.chain = w.chain.then(() => w.hooks.onRetry?.(w.attempt, why));
    }
    w.token = p.token;
    if (p.kind !== 'epoch') return;
    const objectives = p.objectives.map((x) => (x === null ? NaN : x));
    const key = `${VERDICT_PREFIX}${jobId}:${p.token}:${p.step}`;
    w.chain = w.chain
      .then(async () => (w.hooks.onEpoch ? await w.hooks.onEpoch(p.step, objectives, p.metrics) : false))
      .then((prune) => this.redis.set(key, prune ? '1' : '0', 'EX', 3600))
      .catch((e: unknown) => this.settle(jobId, (x) => x.reject(e)));
  }

  private async readBack(jobId: string): Promise<void> {
    const w = this.watches.get(jobId);
    if (!w || w.settled) return;
    // One read at a time; an event that arrives meanwhile makes it read once more.
    if (w.reading) {
      w.again = true;
      return;
    }
    w.reading = true;
    try {
      do {
        w.again = false;
        await this.readJob(jobId, w);
      } while (w.again && !w.settled);
    } finally {
      w.reading = false;
    }
  }

  private async readJob(jobId: string, w: Watch): Promise<void> {
    let job: Job<TrialJobData, TrialJobResult> | undefined;
    try {
      job = await this.queue.getJob(jobId);
    } catch {
      return; // Redis briefly away: the periodic re-read (or the health check) takes it from here
    }
    if (!job) return;
    const state = await job.getState().catch(() => 'unknown');
    if (state !== 'completed' && state !== 'failed') return;
    // Epochs reported before the end are stored before the trial is finished.
    await w.chain.catch(() => {});
    if (state === 'failed') {
      const reason = job.failedReason ?? 'the worker failed';
      return this.settle(jobId, (x) => x.resolve({ state: 'failed', reason: /^[A-Z_]+: /.test(reason) ? reason : `WORKER_ERROR: ${reason}`, constraintViolation: 0, values: {}, artifacts: {} }));
    }
    try {
      const outcome = this.unpack(w.trial, job.returnvalue);
      this.settle(jobId, (x) => x.resolve(outcome));
    } catch (e) {
      this.settle(jobId, (x) => x.reject(e));
    }
  }

  /** The worker's result with its files written into the trial's artifact folder (atomically, each). */
  private unpack(trial: TrialSpec, r: TrialJobResult): EvalOutcome {
    const o = r.outcome;
    const dir = trial.artifactDir;
    const artifacts: Record<string, string> = {};
    if (dir) {
      for (const rel of new Set(Object.values(o.artifacts))) rmSync(join(dir, rel), { recursive: true, force: true });
      for (const [rel, b64] of Object.entries(r.files)) {
        const path = normalize(join(dir, rel));
        if (!path.startsWith(normalize(dir) + sep)) throw new DistilleryError('REDIS_BAD_RESULT', `a worker returned the file '${rel}' outside the trial folder`, 'run workers of the same distillery version as the coordinator');
        writeFileAtomic(path, Buffer.from(b64, 'base64'));
      }
      for (const [k, rel] of Object.entries(o.artifacts)) artifacts[k] = join(dir, rel);
    }
    if (r.note) this.report({ event: 'warning', message: `trial ${trial.number}: ${r.note}` });
    const num = (v: unknown) => (v === null ? NaN : (v as number));
    return {
      ...o,
      ...(o.objectives ? { objectives: o.objectives.map(num) } : {}),
      values: Object.fromEntries(Object.entries(o.values).map(([k, v]) => [k, num(v)])),
      constraintViolation: num(o.constraintViolation),
      artifacts,
    };
  }

  private settle(jobId: string, f: (w: Watch) => void): void {
    const w = this.watches.get(jobId);
    if (!w || w.settled) return;
    w.settled = true;
    this.watches.delete(jobId);
    f(w);
  }

  private fail(e: DistilleryError): void {
    if (this.fatal) return;
    this.fatal = e;
    for (const id of [...this.watches.keys()]) this.settle(id, (w) => w.reject(e));
  }
}

