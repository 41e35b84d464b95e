import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DistilleryError } from '../../core/errors.ts';
import type { Reporter } from '../../core/events.ts';
import { silentReporter } from '../../core/events.ts';
import type { EvalOutcome } from '../../evaluate/index.ts';
import type { Executor, FrozenStudy, TrialHooks, TrialSpec } from '../executor.ts';
import type { FromWorker, ToWorker } from './protocol.ts';
import { errorOf } from './protocol.ts';
import type { WorkerEngine } from './runner.ts';

/** Options of {@link PoolExecutor}. */
export interface PoolOptions {
  /** The study as the store keeps it: each worker builds its evaluator from it. */
  frozen: FrozenStudy;
  /** Worker processes, each training one trial at a time. */
  workers: number;
  /** Engine of every worker (default: the study's backend, 1 thread per worker). */
  backend?: string;
  threads?: number;
  /** How many times a trial may start on a worker that then dies (default 3); after that it fails. */
  maxAttempts?: number;
  reporter?: Reporter;
}

interface Task {
  trial: TrialSpec;
  hooks: TrialHooks;
  attempt: number;
  resolve: (o: EvalOutcome) => void;
  reject: (e: unknown) => void;
}

interface Slot {
  child: ChildProcess;
  ready: boolean;
  task: Task | undefined;
}

const ENTRY = fileURLToPath(new URL('./pool-worker.ts', import.meta.url));

/**
 * Runs trials on `workers` child processes of this machine, each with its own engine (processes,
 * not threads: TF.js and the native kernels keep per-process state). Every worker loads the data
 * and the teacher's logits once, from the study's frozen config. Per-epoch values come back over
 * IPC and wait for the coordinator's pruning verdict. A worker that dies mid-trial is replaced
 * and its trial starts again on the next free worker (`onRetry`), up to `maxAttempts` starts.
 * Saved models are written by the worker straight into the trial's artifact folder.
 *
 * @example
 * const pool = new PoolExecutor({ frozen: { baseDir, config }, workers: 2 });
 * await runStudy(setup, { store, executor: pool });
 */
export class PoolExecutor implements Executor {
  readonly kind = 'pool';
  readonly capacity: number;
  private readonly slots: Slot[] = [];
  private readonly waiting: Task[] = [];
  private readonly results = new Map<number, Promise<EvalOutcome>>();
  private readonly report: Reporter;
  private readonly maxAttempts: number;
  private readonly engine: WorkerEngine;
  private deaths = 0;
  private fatal: DistilleryError | undefined;
  private closed = false;

  constructor(private readonly opts: PoolOptions) {
    if (!(Number.isInteger(opts.workers) && opts.workers >= 1)) {
      throw new DistilleryError('POOL_WORKERS', `workers: ${opts.workers} is not a positive integer`, 'pass --workers 1 or more');
    }
    this.capacity = opts.workers;
    this.report = opts.reporter ?? silentReporter;
    this.maxAttempts = opts.maxAttempts ?? 3;
    this.engine = { threads: opts.threads ?? 1, ...(opts.backend ? { backend: opts.backend } : {}) };
    for (let i = 0; i < opts.workers; i++) this.spawn();
  }

  /** Process ids of the live workers (tests kill one of them). */
  get pids(): number[] {
    return this.slots.map((s) => s.child.pid!).filter((p) => p !== undefined);
  }

  /** The process id of the worker running this trial now, if one is. */
  workerOf(trialId: number): number | undefined {
    return this.slots.find((s) => s.task?.trial.trialId === trialId)?.child.pid;
  }

  submit(trial: TrialSpec, hooks: TrialHooks = {}): Promise<EvalOutcome> {
    const known = this.results.get(trial.trialId);
    if (known) return known;
    const p = new Promise<EvalOutcome>((resolve, reject) => {
      if (this.fatal || this.closed) return reject(this.fatal ?? closedError());
      this.waiting.push({ trial, hooks, attempt: 1, resolve, reject });
      this.dispatch();
    });
    this.results.set(trial.trialId, p);
    return p;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.waiting.splice(0)) t.reject(closedError());
    const exits = this.slots.map((s) => {
      s.task?.reject(closedError());
      s.task = undefined;
      return new Promise<void>((resolve) => {
        if (s.child.exitCode !== null || s.child.signalCode !== null) return resolve();
        s.child.once('exit', () => resolve());
        s.child.kill('SIGTERM');
      });
    });
    await Promise.all(exits);
    this.slots.length = 0;
  }

  private spawn(): void {
    const child = fork(ENTRY, [], {
      // the CLI's loader (bin/ts-hooks.js): the worker runs pool-worker.ts as the CLI runs src/
      execArgv: ['--import', new URL('../../../bin/ts-register.js', import.meta.url).href],
      serialization: 'advanced',
      // A worker's stdout must not mix into the coordinator's (--json: one event per line).
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    });
    child.stdout?.on('data', (b: Buffer) => process.stderr.write(b));
    const slot: Slot = { child, ready: false, task: undefined };
    this.slots.push(slot);
    child.on('message', (m) => this.onMessage(slot, m as FromWorker));
    child.on('exit', (code, signal) => this.onExit(slot, code, signal));
    child.send({ type: 'init', frozen: this.opts.frozen, engine: this.engine } satisfies ToWorker);
  }

  private onMessage(slot: Slot, m: FromWorker): void {
    if (m.type === 'ready') {
      slot.ready = true;
      this.dispatch();
    } else if (m.type === 'init-error') {
      this.fail(errorOf(m.error));
    } else if (m.type === 'epoch') {
      const task = slot.task;
      if (!task || task.trial.trialId !== m.trialId) return;
      Promise.resolve(task.hooks.onEpoch ? task.hooks.onEpoch(m.step, m.objectives, m.metrics) : false).then(
        (prune) => slot.child.connected && slot.child.send({ type: 'verdict', trialId: m.trialId, step: m.step, prune } satisfies ToWorker),
        (e: unknown) => this.finish(slot, (t) => t.reject(e)),
      );
    } else if (m.type === 'done') {
      this.finish(slot, (t) => t.resolve(m.outcome));
    } else if (m.type === 'run-error') {
      this.finish(slot, (t) => t.reject(errorOf(m.error)));
    }
  }

  private finish(slot: Slot, settle: (t: Task) => void): void {
    const t = slot.task;
    slot.task = undefined;
    if (t) settle(t);
    this.dispatch();
  }

  private onExit(slot: Slot, code: number | null, signal: NodeJS.Signals | null): void {
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
    if (this.closed) return;
    this.deaths++;
    const why = `its worker (pid ${slot.child.pid}) died (${signal ?? `exit code ${code}`})`;
    const t = slot.task;
    slot.task = undefined;
    if (t) {
      if (t.attempt >= this.maxAttempts) {
        t.resolve({ state: 'failed', reason: `WORKER_DIED: ${why}, ${t.attempt} times`, constraintViolation: 0, values: {}, artifacts: {} });
      } else {
        t.attempt++;
        this.waiting.unshift(t);
        Promise.resolve(t.hooks.onRetry?.(t.attempt, why)).catch((e: unknown) => this.fail(e));
      }
    } else {
      this.report({ event: 'warning', message: `pool worker pid ${slot.child.pid} exited (${signal ?? `exit code ${code}`}) while idle; starting another` });
    }
    // A worker that dies before it is ready, again and again, means the workers cannot start.
    if (this.deaths > 2 * this.capacity + 3) {
      this.fail(new DistilleryError('POOL_WORKERS_DYING', `${this.deaths} pool workers died (the last: ${signal ?? `exit code ${code}`})`, 'run the study with --workers 1, or inline (no --workers), to see the error'));
      return;
    }
    this.spawn();
  }

  private fail(e: unknown): void {
    if (this.fatal) return;
    this.fatal = e instanceof DistilleryError ? e : new DistilleryError('POOL_FAILED', String(e instanceof Error ? e.message : e));
    for (const t of this.waiting.splice(0)) t.reject(this.fatal);
    for (const s of this.slots) {
      s.task?.reject(this.fatal);
      s.task = undefined;
    }
  }

  private dispatch(): void {
    if (this.fatal || this.closed) return;
    for (const slot of this.slots) {
      if (this.waiting.length === 0) return;
      if (!slot.ready || slot.task || !slot.child.connected) continue;
      const t = this.waiting.shift()!;
      slot.task = t;
      slot.child.send({ type: 'run', trial: t.trial } satisfies ToWorker);
    }
  }
}

function closedError(): DistilleryError {
  return new DistilleryError('POOL_CLOSED', 'the worker pool was closed while a trial was waiting or running', 'resume the study with --resume: the trial runs again');
}
