import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DistilleryError } from '../core/errors.ts';
import type { DistilleryEvent, Reporter } from '../core/events.ts';
import { cacheConfigSchema } from '../distill/index.ts';
import type { CacheConfig, Teacher } from '../distill/index.ts';
import { applyTrainSettings } from '../evaluate/index.ts';
import type { EvalOutcome, Evaluator, LossTermConfig } from '../evaluate/index.ts';
import type { ModelSpec } from '../models/index.ts';
import { openStore } from '../store/index.ts';
import type { TrialRecord } from '../store/index.ts';
import { prepareStudy, runStudy } from '../study/index.ts';
import { distill, distillJobSchema } from '../jobs/distill.ts';
import { train, trainJobSchema } from '../jobs/train.ts';
import type { TrainResult } from '../jobs/run.ts';
import { BudgetAccount, teacherMacs, trainingMacs } from './budget.ts';
import type { Charge } from './budget.ts';
import type { ArmName, CompareConfig } from './config.ts';
import { fmt, searchStudyConfig } from './plan.ts';
import type { ComparePlan } from './plan.ts';

/** The base of the distilled arms' loss: soft targets at T with weight alpha, hard labels at 1 - alpha (T and alpha are then chosen). */
const BASE_LOSS: LossTermConfig[] = [{ term: 'kd', weight: 0.9, T: 4 }, { term: 'ce', weight: 0.1 }];

/** One tuning or search trial of an arm, as the report draws it. */
export interface TrialPoint {
  number: number;
  state: string;
  /** Validation accuracy (complete trials). */
  accuracy?: number;
  /** The cost metric (e.g. MACs) of its model. */
  cost?: number;
  epochs?: number;
  params: Record<string, unknown>;
}

/** One seed of one arm: what it spent, what it chose, its model; `test*` are filled once, at the end. */
export interface SeedResult {
  seed: number;
  trainingMacs: number;
  charges: Charge[];
  /** The chosen model: `hand student` or `trial N`, its training settings and the epochs it finally trained. */
  chosen: { source: string; arch: string; params?: Record<string, unknown>; temperature?: number; alpha?: number; epochs: number };
  modelDir: string;
  /** Validation accuracy of the chosen model (what every selection used). */
  valAccuracy: number;
  /** The cost metric of the chosen model, and its MACs and params. */
  cost: number;
  macs: number;
  params: number;
  trials: TrialPoint[];
  seconds: number;
  testAccuracy?: number;
  testErrors?: number;
  testSamples?: number;
}

/** What an arm's runs share. */
export interface ArmContext {
  config: CompareConfig;
  baseDir: string;
  plan: ComparePlan;
  teacher: Teacher;
  /** Folder of this arm and seed. */
  dir: string;
  reporter: Reporter;
  /** Cost metric of a spec (the second objective). */
  costOf: (model: ModelSpec) => { cost: number; macs: number; params: number };
}

/**
 * Runs one seed of one arm within its budget and returns what it chose. `student`: the hand
 * student trained on labels for every epoch the budget pays. `distilled`: the teacher's pass,
 * then each (T, alpha) recipe trained briefly (`budget.tune` of the budget), then the best
 * recipe on validation trained with what is left. `search` / `search-distilled`: a search of the
 * space (`budget.search` of the budget; the distilled one also searches T and alpha), then the
 * best candidate on validation within the limits retrained with what is left. Every run is a
 * real train, distill or search job in `ctx.dir`, resumable after a kill.
 */
export async function runArmSeed(arm: ArmName, seed: number, ctx: ArmContext): Promise<SeedResult> {
  const started = Date.now();
  const { plan, config } = ctx;
  const acct = new BudgetAccount(plan.budget);
  const distilled = arm === 'distilled' || arm === 'search-distilled';
  const teacherPerEpoch = distilled && plan.online ? plan.teacherMacs * plan.samples : 0;
  if (distilled && !plan.online) acct.charge('teacher logits (cached, once)', teacherMacs(plan.teacherMacs, plan.samples, 1, false));
  const label = `${arm} seed ${seed}`;
  const report = labelled(ctx.reporter, arm, seed);

  if (arm === 'student') {
    const epochs = acct.affordableEpochs(plan.studentMacs, plan.samples);
    acct.charge('hand student', trainingMacs(plan.studentMacs, plan.samples, epochs));
    const r = await finalRun(ctx, seed, config.student, config.train, undefined, epochs, label, report);
    return seedResult(seed, acct, { source: 'hand student', epochs }, r, config.student, [], ctx, started);
  }

  const space = arm === 'distilled' ? recipeSpace(config) : searchSpace(config, distilled);
  const tuneBudget = arm === 'distilled' ? plan.tuneEpochs * plan.recipes.length * (trainingMacs(plan.studentMacs, plan.samples, 1) + teacherPerEpoch) : config.budget.search * acct.remaining;
  const maxTrials = arm === 'distilled' ? plan.recipes.length : config.budget.maxTrials;
  const trialEpochs = arm === 'distilled' ? plan.tuneEpochs : config.budget.trialEpochs;
  const tuned = await tune(ctx, seed, { space, distilled, maxTrials, trialEpochs, tuneBudget, teacherPerEpoch, strategy: arm === 'distilled' ? 'grid' : undefined, report });
  for (const c of tuned.charges) acct.charge(c.what, c.macs);
  const w = tuned.winner;
  if (!w) throw new DistilleryError('COMPARE_NO_CANDIDATE', `${label}: no candidate completed within the limits (${tuned.points.length} asked)`, 'give the search more budget (budget.search, budget.studentEpochs) or a space with more candidates within the limits', 'space');
  const spec = w.spec;
  const settings = applyTrainSettings(config.train, distilled ? BASE_LOSS : undefined, spec.train);
  const knobs = recipeOf(settings.loss);
  const { macs } = ctx.costOf(spec.model);
  const epochs = acct.affordableEpochs(macs, plan.samples, teacherPerEpoch);
  const source = arm === 'distilled' ? `hand student, ${knobs ? `T ${knobs.temperature}, alpha ${knobs.alpha}` : 'its recipe'}` : `trial ${w.number}`;
  const chosenBase = { source, params: w.params, ...(knobs ?? {}) };
  if (epochs < 1) {
    // No budget left to retrain: the trial's own model is the arm's.
    return seedResult(seed, acct, { ...chosenBase, epochs: w.epochs }, { modelDir: w.model, testAccuracy: w.accuracy }, spec.model, tuned.points, ctx, started);
  }
  acct.charge(`final (${source})`, trainingMacs(macs, plan.samples, epochs) + teacherPerEpoch * epochs);
  const r = await finalRun(ctx, seed, spec.model, settings.train, distilled ? settings.loss : undefined, epochs, label, report);
  return seedResult(seed, acct, { ...chosenBase, epochs }, r, spec.model, tuned.points, ctx, started);
}

function seedResult(seed: number, acct: BudgetAccount, chosen: Omit<SeedResult['chosen'], 'arch'>, r: Pick<TrainResult, 'modelDir' | 'testAccuracy'>, model: ModelSpec, trials: TrialPoint[], ctx: ArmContext, started: number): SeedResult {
  const c = ctx.costOf(model);
  return { seed, trainingMacs: acct.spent, charges: [...acct.charges], chosen: { ...chosen, arch: archOf(model) }, modelDir: r.modelDir, valAccuracy: r.testAccuracy, cost: c.cost, macs: c.macs, params: c.params, trials, seconds: (Date.now() - started) / 1000 };
}

/** A one-line name of a model: each block's kind and width, shape-only blocks left out, e.g. `dense 48 → dense 10`. */
export function archOf(model: ModelSpec): string {
  const skip = new Set(['flatten', 'dropout', 'activation', 'batchnorm']);
  return (model.blocks as Record<string, unknown>[])
    .filter((b) => !skip.has(String(b['type'])))
    .map((b) => `${String(b['type'])}${b['units'] ?? b['filters'] ? ` ${String(b['units'] ?? b['filters'])}` : ''}`)
    .join(' → ');
}

// Events of the jobs inside, marked with their arm and seed; their own start/done would read as the comparison's.
function labelled(r: Reporter, arm: string, seed: number): Reporter {
  return (e: DistilleryEvent) => {
    if (e.event === 'start' || e.event === 'done') return;
    r({ ...e, arm, seed, label: `${arm} s${seed}` } as DistilleryEvent);
  };
}

/** The distilled arm's space: the hand student, fixed, with T and alpha to choose. */
function recipeSpace(config: CompareConfig): unknown {
  return { template: { model: config.student, train: { temperature: { choice: config.distill.temperature }, alpha: { choice: config.distill.alpha } } } };
}

/** The search arms' space: the user's, with T and alpha added for the distilled one (and taken out for the label-only one). */
export function searchSpace(config: CompareConfig, distilled: boolean): unknown {
  const s = structuredClone(config.space) as { params?: Record<string, unknown>; template?: Record<string, unknown> };
  const template = { ...(s.template ?? {}) };
  const tr = { ...((template['train'] as Record<string, unknown> | undefined) ?? {}) };
  if (distilled) {
    tr['temperature'] ??= tr['T'] ?? { choice: config.distill.temperature };
    delete tr['T'];
    tr['alpha'] ??= { choice: config.distill.alpha };
  } else {
    delete tr['temperature'];
    delete tr['T'];
    delete tr['alpha'];
  }
  template['train'] = tr;
  return { ...s, template };
}

function recipeOf(loss: LossTermConfig[] | undefined): { temperature: number; alpha: number } | undefined {
  const kd = loss?.find((t) => t.term === 'kd');
  return kd ? { temperature: Number(kd['T']), alpha: Number(kd.weight) } : undefined;
}

async function finalRun(ctx: ArmContext, seed: number, model: ModelSpec, trainSettings: unknown, loss: LossTermConfig[] | undefined, epochs: number, label: string, reporter: Reporter): Promise<TrainResult> {
  const out = join(ctx.dir, 'final');
  const resume = existsSync(join(out, 'checkpoint'));
  // Killed before its first checkpoint: nothing worth keeping.
  if (!resume && existsSync(out)) rmSync(out, { recursive: true, force: true });
  const c = ctx.config;
  const base = { name: label.replace(/ /g, '-'), seed, backend: c.backend, ...(c.threads ? { threads: c.threads } : {}), data: c.data, model, train: { ...(trainSettings as object), epochs } };
  const opts = { out, resume, reporter, baseDir: ctx.baseDir, label, scoreOn: 'validation' as const };
  if (!loss) return train(trainJobSchema.parse(base), opts);
  const r = await distill(distillJobSchema.parse({ ...base, teacher: c.teacher, loss, cache: cacheOf(ctx) }), { ...opts, teacher: ctx.teacher });
  return r.student;
}

/** The teacher's logits are cached beside the comparison unless the config says where. */
export function cacheOf(ctx: Pick<ArmContext, 'config' | 'dir'>): CacheConfig {
  return ctx.config.cache ?? cacheConfigSchema.parse({ dir: join(ctx.dir, '..', '..', 'teacher-cache') });
}

interface Winner {
  number: number;
  spec: { model: ModelSpec; train: Record<string, unknown> };
  params: Record<string, unknown>;
  accuracy: number;
  epochs: number;
  model: string;
}

interface TuneOptions {
  space: unknown;
  distilled: boolean;
  maxTrials: number;
  trialEpochs: number;
  tuneBudget: number;
  teacherPerEpoch: number;
  strategy: string | undefined;
  report: Reporter;
}

/**
 * A study over `space` in `<dir>/search.db`, one trial per loop run so that the budget is checked
 * between trials: a candidate trains at most `trialEpochs`, fewer when the budget left is short,
 * and is recorded as infeasible (untrained) when not one epoch fits. Spend is read back from the
 * store, so a resumed study charges its finished trials exactly once.
 */
async function tune(ctx: ArmContext, seed: number, o: TuneOptions): Promise<{ charges: Charge[]; winner: Winner | undefined; points: TrialPoint[] }> {
  const { plan } = ctx;
  const cfg = searchStudyConfig(ctx.config, seed, o.space, 'tune', o.distilled ? { loss: BASE_LOSS } : undefined);
  cfg.budget.epochs = o.trialEpochs;
  if (o.strategy) cfg.strategy = { name: o.strategy, options: {} };
  if (o.distilled) cfg.cache = cacheOf(ctx);
  const setup = await prepareStudy(cfg, { baseDir: ctx.baseDir, teacher: ctx.teacher, reporter: o.report });
  const storePath = join(ctx.dir, 'search.db');
  const store = await openStore(storePath);
  const epochCost = (macs: number) => trainingMacs(macs, plan.samples, 1) + o.teacherPerEpoch;
  const spentOf = (trials: TrialRecord[]) => trials.filter((t) => t.state === 'complete' || t.state === 'pruned' || t.state === 'failed').reduce((a, t) => a + (t.values['epochs'] ?? 0) * epochCost(t.values['macs'] ?? 0), 0);
  let left = 0;
  const evaluator: Evaluator = budgeted(setup.evaluator, () => left, epochCost);
  try {
    let study = await store.getStudy('tune');
    for (;;) {
      const trials = study ? await store.listTrials(study.id) : [];
      left = o.tuneBudget - spentOf(trials);
      // Candidates in a row that the budget left could not pay for, read from the store so that a resumed search stops where an unbroken one would.
      let misses = 0;
      for (let i = trials.length - 1; i >= 0 && trials[i]!.state === 'infeasible'; i--) if ((trials[i]!.reason ?? '').startsWith('COMPARE_BUDGET')) misses++;
      const trained = trials.filter((t) => t.state === 'complete' || t.state === 'pruned' || t.state === 'failed').length;
      const running = trials.some((t) => t.state === 'running');
      if (!running && (trained >= o.maxTrials || left <= 0 || misses >= 3)) break;
      const before = trials.length;
      await runStudy({ ...setup, evaluator, config: { ...cfg, budget: { ...cfg.budget, trials: trained + 1 } } }, { store, resume: study !== undefined, reporter: o.report });
      study ??= await store.getStudy('tune');
      const after = await store.listTrials(study!.id);
      if (after.length === before && !running) break; // nothing more to ask (a grid fully asked)
    }
    const trials = await store.listTrials(study!.id);
    const charges = trials.filter((t) => (t.values['epochs'] ?? 0) > 0).map((t) => ({ what: `trial ${t.number}`, macs: (t.values['epochs'] ?? 0) * epochCost(t.values['macs'] ?? 0) }));
    const points = trials.map((t) => ({ number: t.number, state: t.state, params: t.params, ...(t.values['accuracy'] !== undefined ? { accuracy: t.values['accuracy'] } : {}), ...(t.values[plan.metric] !== undefined ? { cost: t.values[plan.metric] } : {}), ...(t.values['epochs'] !== undefined ? { epochs: t.values['epochs'] } : {}) }));
    const ok = trials.filter((t) => t.state === 'complete' && (t.constraintViolation ?? 0) <= 0 && Number.isFinite(t.values['accuracy']) && t.artifacts['model']);
    ok.sort((a, b) => b.values['accuracy']! - a.values['accuracy']! || (a.values[plan.metric] ?? 0) - (b.values[plan.metric] ?? 0) || a.number - b.number);
    const best = ok[0];
    const winner = best ? { number: best.number, spec: best.spec as Winner['spec'], params: best.params, accuracy: best.values['accuracy']!, epochs: best.values['epochs'] ?? 0, model: best.artifacts['model']! } : undefined;
    return { charges, winner, points };
  } finally {
    await store.close();
    await setup.dispose();
  }
}

/** The study's evaluator, with each candidate's epochs capped by what the budget left pays for. */
function budgeted(inner: Evaluator, left: () => number, epochCost: (macs: number) => number): Evaluator {
  return {
    objectives: inner.objectives,
    check: (c) => inner.check(c),
    async evaluate(req): Promise<EvalOutcome> {
      const pre = inner.check(req.candidate);
      if (pre.violation > 0) return inner.evaluate(req);
      const perEpoch = epochCost(pre.metrics['macs'] ?? 0);
      const afford = Math.floor(left() / perEpoch + 1e-9);
      if (afford < 1) {
        return { state: 'infeasible', reason: `COMPARE_BUDGET: one epoch (${fmt(perEpoch)} training MACs) exceeds what the search budget has left (${fmt(Math.max(0, left()))})`, constraintViolation: 1e9, values: { ...pre.metrics }, artifacts: {}, ...(pre.spec ? { spec: pre.spec } : {}) };
      }
      return inner.evaluate({ ...req, epochs: Math.min(req.epochs ?? afford, afford) });
    },
    dispose: () => inner.dispose(),
  };
}
