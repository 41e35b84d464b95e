import { join } from 'node:path';
import { DistilleryError } from '../core/errors.ts';
import type { DistilleryEvent, Reporter } from '../core/events.ts';
import { silentReporter } from '../core/events.ts';
import { deriveSeed } from '../core/rng.ts';
import type { EvalOutcome } from '../evaluate/index.ts';
import { HyperbandPruner, preRank as rankByProxy, withLimits } from '../search/index.ts';
import type { Candidate, StrategyState, TrialResult } from '../search/types.ts';
import type { NewTrial, Store, StudyRecord, TrialRecord } from '../store/index.ts';
import { InlineExecutor } from './executor.ts';
import type { Executor, TrialSpec } from './executor.ts';
import type { StudySetup } from './setup.ts';
import { studyReference, summarizeStudy } from '../store/index.ts';
import type { StudySummary } from '../store/index.ts';

/** Options of {@link runStudy}. */
export interface RunStudyOptions {
  store: Store;
  /** Continue the study of this name in the store (it must exist) instead of starting one. */
  resume?: boolean;
  reporter?: Reporter;
  /** Default: an {@link InlineExecutor} over the setup's evaluator. */
  executor?: Executor;
  /**
   * Folder for the trials' saved models, one sub-folder per study (a store may hold several, and
   * their trial numbers overlap): default `<store>.artifacts/<study>/trial-<n>` beside the store.
   */
  artifactsDir?: string;
  /** What the store keeps as the study's config (default: the setup's config). */
  frozen?: unknown;
}

/** What the loop saves with every ask and tell, so a resumed study continues exactly. */
interface LoopState {
  version: 1;
  strategy: StrategyState;
  /** Candidates already chosen (by pre-ranking) and not yet started. */
  queue: Candidate[];
}

/** The loop's events; they travel through the same reporters as training's. */
function emit(report: Reporter, e: { event: string; [k: string]: unknown }): void {
  report(e as DistilleryEvent);
}

/**
 * The study loop: ask -> evaluate -> tell, until `budget.trials` trials have trained (complete,
 * pruned or failed: infeasible candidates cost no training and do not count) or `budget.seconds`
 * have passed. Up to `executor.capacity` trials run at once: the strategy is asked again while
 * trials run (it avoids candidates already asked) and told results in completion order; no more
 * trials start than the budget has left, counting those in flight. This process is the only
 * writer of the store: remote trials' epochs and retries come back through the executor's hooks. Each ask is stored atomically with the trials it produced (infeasible ones
 * included) and a snapshot of the strategy; each tell with the finished trial and a new snapshot.
 *
 * Resume (`resume: true`, after a crash or kill -9): the strategy is restored from the last
 * snapshot; a trial left `running` is re-run under the same trial id and number (its metrics
 * cleared, `attempts` incremented, its seed unchanged so it trains as it would have), then the
 * loop continues. A finished trial never runs again. On an executor whose trials outlive this
 * process (Redis), a trial already queued or finished there is re-attached to, not rerun. Events: `start`, `trial_start`,
 * `trial_epoch`, `trial_done` (state, objectives, reason), `done` (pareto, counts, hypervolume,
 * executor kind and capacity as `executor` and `workers`).
 *
 * @example
 * const setup = await prepareStudy(config, { baseDir });
 * const summary = await runStudy(setup, { store: await openStore('study.db'), reporter });
 */
export async function runStudy(setup: StudySetup, opts: RunStudyOptions): Promise<StudySummary> {
  const { store } = opts;
  const report = opts.reporter ?? silentReporter;
  const started = Date.now();
  const budget = setup.config.budget;
  const deadline = budget.seconds ? started + budget.seconds * 1000 : Infinity;
  const directions = setup.objectives.map((o) => o.direction);
  const names = setup.objectives.map((o) => o.name);
  const artifacts = opts.artifactsDir ?? `${store.path.replace(/\.(db|sqlite3?)$/, '')}.artifacts`;
  const executor: Executor = opts.executor ?? new InlineExecutor(setup.evaluator);

  let study: StudyRecord;
  const strategy = setup.makeStrategy();
  let queue: Candidate[] = [];
  if (opts.resume) {
    const found = await store.getStudy(setup.name);
    if (!found) throw new DistilleryError('STORE_NO_STUDY', `${store.path}: no study named '${setup.name}' to resume`, 'run without --resume to start it, or check --store', store.path);
    study = found;
    const snap = (await store.lastSnapshot(study.id))?.state as LoopState | undefined;
    if (snap) {
      strategy.restore(snap.strategy);
      queue = snap.queue;
    }
  } else {
    study = await store.createStudy({ name: setup.name, config: opts.frozen ?? setup.config, objectives: names, directions, reference: studyReference(names, setup.limits) });
  }
  const loopState = (): LoopState => ({ version: 1, strategy: strategy.state(), queue });

  const rejected: NewTrial[] = [];
  const asker = withLimits(strategy, (c) => setup.evaluator.check(c), setup.limits, {
    maxTries: 1000,
    onRejected: (c, v, metrics) => {
      const r = setup.evaluator.check(c);
      rejected.push({ params: c, state: 'infeasible', reason: r.reason ?? 'breaks a limit', constraintViolation: Number.isFinite(v) ? v : 1e9, values: metrics as Record<string, number>, ...(r.spec ? { spec: r.spec } : {}) });
    },
  });

  // Every trial's curve so far, for the pruner (rebuilt from the store on resume).
  const history = new Map<number, (number[] | undefined)[]>();
  for (const m of await store.studyMetrics(study.id)) {
    const curve = history.get(m.trialId) ?? [];
    curve[m.step] = names.map((n) => m.values[n] ?? NaN);
    history.set(m.trialId, curve);
  }
  const c0 = await store.counts(study.id);
  let trained = c0.complete + c0.pruned + c0.failed;
  emit(report, { event: 'start', command: 'search', study: study.name, store: store.path, resume: opts.resume ?? false, trials: budget.trials, done: trained });

  const specOf = (t: TrialRecord): TrialSpec => {
    const epochs = setup.pruner instanceof HyperbandPruner ? setup.pruner.budgetFor(t.id).maxSteps : setup.maxEpochs;
    return { trialId: t.id, number: t.number, candidate: t.params as Candidate, seed: deriveSeed(setup.config.seed, t.number, 11), ...(epochs !== undefined ? { epochs } : {}), artifactDir: join(artifacts, folderName(study.name), `trial-${t.number}`) };
  };

  // `attached`: the trial is already queued or finished on the executor (a resumed coordinator
  // re-attaching to Redis jobs); it is neither restarted nor announced again.
  const runTrial = async (t: TrialRecord, attached = false): Promise<void> => {
    if (!attached) emit(report, { event: 'trial_start', trial: t.id, number: t.number, params: t.params, attempt: t.attempts });
    if (!history.has(t.id) || !attached) history.set(t.id, []);
    const outcome = await executor.submit(specOf(t), {
      onEpoch: async (step, objectives, metrics) => {
        history.get(t.id)![step] = objectives;
        const named = Object.fromEntries(names.map((n, i) => [n, objectives[i]!]).filter(([, v]) => Number.isFinite(v)));
        await store.reportEpoch(t.id, step, { ...metrics, ...named });
        emit(report, { event: 'trial_epoch', trial: t.id, number: t.number, step, ...metrics });
        return setup.pruner ? setup.pruner.shouldPrune(t.id, step, history) : false;
      },
      onRetry: async (_attempt, why) => {
        const again = await store.restartTrial(t.id);
        history.set(t.id, []);
        emit(report, { event: 'info', message: `trial ${t.number}: ${why}; running it again` });
        emit(report, { event: 'trial_start', trial: t.id, number: t.number, params: t.params, attempt: again.attempts, retry: true });
      },
    });
    strategy.tell(t.params as Candidate, tellOf(outcome));
    await store.finishTrial(t.id, { state: outcome.state, reason: outcome.reason, objectives: outcome.objectives, constraintViolation: outcome.constraintViolation, values: outcome.values, artifacts: outcome.artifacts }, { state: loopState() });
    trained++;
    emit(report, { event: 'trial_done', trial: t.id, number: t.number, state: outcome.state, objectives: outcome.objectives ? Object.fromEntries(names.map((n, i) => [n, outcome.objectives![i]!])) : null, ...(outcome.reason ? { reason: outcome.reason } : {}), constraintViolation: outcome.constraintViolation });
  };

  const nextTrial = async (): Promise<TrialRecord> => {
    rejected.length = 0;
    if (queue.length === 0) {
      if (setup.preRank) {
        const pool: Candidate[] = [];
        for (let i = 0; i < setup.preRank.sample; i++) pool.push(asker.ask());
        const ranked = await rankByProxy(pool, setup.preRank.score, setup.preRank.keep);
        queue = ranked.map((r) => r.item);
        emit(report, { event: 'info', message: `pre-ranked ${pool.length} candidates by proxy; training the best ${queue.length} (scores ${ranked.map((r) => r.score.toPrecision(3)).join(', ')})` });
      } else {
        queue = [asker.ask()];
      }
    }
    const c = queue.shift()!;
    const spec = setup.evaluator.check(c).spec;
    const added = await store.addTrials(study.id, [...rejected, { params: c, ...(spec ? { spec } : {}) }], { state: loopState() });
    for (const t of added.slice(0, -1)) emit(report, { event: 'trial_done', trial: t.id, number: t.number, state: t.state, objectives: null, reason: t.reason });
    return added.at(-1)!;
  };

  // Trials in flight, by id. Results are told in completion order; the first error (an executor
  // that broke, not a trial that failed: that is an outcome) stops the asking.
  const inflight = new Map<number, Promise<void>>();
  let failure: { error: unknown } | undefined;
  const capacity = (): number => Math.max(1, Math.floor(executor.capacity ?? 1));
  const launch = (t: TrialRecord, attached = false): void => {
    const p = runTrial(t, attached)
      .catch((e: unknown) => {
        failure ??= { error: e };
      })
      .finally(() => inflight.delete(t.id));
    inflight.set(t.id, p);
  };
  const settleOne = () => Promise.race(inflight.values());

  try {
    for (const t of await store.listTrials(study.id, { state: 'running' })) {
      while (!failure && inflight.size >= capacity()) await settleOne();
      if (failure) break;
      const where = executor.status ? await executor.status(specOf(t)) : 'unknown';
      if (where !== 'unknown') {
        emit(report, { event: 'info', message: `trial ${t.number} was ${where === 'finished' ? 'finished' : 'queued'} on the executor when the study stopped: reading its result back` });
        launch(t, true);
        continue;
      }
      emit(report, { event: 'info', message: `trial ${t.number} was running when the study stopped: running it again` });
      launch(await store.restartTrial(t.id));
    }
    // Never start more trials than the budget has left, counting those in flight.
    while (!failure) {
      const room = trained + inflight.size < budget.trials && Date.now() < deadline;
      if (room && inflight.size < capacity()) {
        launch(await nextTrial());
        continue;
      }
      if (inflight.size === 0) break;
      await settleOne();
    }
  } catch (e) {
    failure ??= { error: e };
  } finally {
    // A broken executor rejects what it still holds on close, so waiting here cannot hang.
    if (failure) await executor.close();
    await Promise.allSettled(inflight.values());
    if (!failure) await executor.close();
  }
  if (failure) throw failure.error;

  const summary = await summarizeStudy(store, study);
  emit(report, {
    event: 'done',
    command: 'search',
    study: study.name,
    store: store.path,
    counts: summary.counts,
    pareto: summary.pareto.map((t) => ({ trial: t.id, number: t.number, objectives: t.objectives, model: t.model })),
    hypervolume: summary.hypervolume,
    reference: summary.reference,
    executor: executor.kind ?? 'custom',
    workers: capacity(),
    seconds: (Date.now() - started) / 1000,
  });
  return summary;
}

function tellOf(o: EvalOutcome): TrialResult {
  if (o.state === 'failed') return { objectives: undefined };
  return { objectives: o.objectives, constraintViolation: o.constraintViolation };
}

/** A study name as a folder name: anything but letters, digits, '.', '_' and '-' becomes '_'. */
function folderName(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9._-]/g, '_');
  return safe === '' || safe === '.' || safe === '..' ? '_' : safe;
}
