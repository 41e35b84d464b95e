import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DistilleryError } from '../core/errors.ts';
import type { DistilleryEvent, Reporter } from '../core/events.ts';
import { silentReporter } from '../core/events.ts';
import { writeJsonAtomic } from '../core/fs.ts';
import { validateConfig } from '../config/index.ts';
import { evaluateTeacher } from '../distill/index.ts';
import { loadModel, modelCost } from '../models/index.ts';
import type { ModelSpec } from '../models/index.ts';
import { checkSpecLimits, nonDominatedSort } from '../search/index.ts';
import { evaluate } from '../train/index.ts';
import { runArmSeed } from './arms.ts';
import type { SeedResult } from './arms.ts';
import { ARMS, compareConfigSchema } from './config.ts';
import type { ArmName, CompareConfig } from './config.ts';
import { preflight } from './plan.ts';
import type { ComparePlan } from './plan.ts';
import { writeCompareReport } from './report.ts';
import { spread, verdict } from './verdict.ts';
import type { ArmFigures } from './verdict.ts';
import type { ArmResult } from './result.ts';

/** What `compare.json` keeps: the frozen config and every finished arm and seed, so `--resume` redoes none. */
interface CompareState {
  version: 1;
  baseDir: string;
  config: CompareConfig;
  arms: Partial<Record<ArmName, SeedResult[]>>;
}

/** What {@link compare} returns. */
export interface CompareResult {
  out: string;
  plan: ComparePlan;
  teacher: { valAccuracy: number; testAccuracy: number; macs: number; cost?: number };
  arms: Record<ArmName, ArmResult>;
  verdict: string;
  report: { html: string; markdown: string };
  seconds: number;
}

/** Options of {@link compare}. */
export interface CompareOptions {
  out: string;
  /** Continue the comparison in `out`: finished arms, seeds and trials are not redone. */
  resume?: boolean;
  baseDir?: string;
  reporter?: Reporter;
}

/**
 * `distillery compare`: the hand student alone, the hand student distilled, a search without a
 * teacher and a search of distilled candidates, each with the same training-MAC budget per seed
 * and the same seeds, each selecting on the validation split; then every chosen model is scored
 * once on the test split, and the report (`report.html`, `report.md`) and the verdict are
 * written. Every input is checked before any training (see {@link preflight}).
 *
 * @example
 * const { config, baseDir } = await loadCompareConfig('examples/mnist-compare.yaml');
 * const r = await compare(config, { out: 'runs/compare', baseDir });
 * console.log(r.verdict);
 */
export async function compare(config: CompareConfig, opts: CompareOptions): Promise<CompareResult> {
  const started = Date.now();
  const report = opts.reporter ?? silentReporter;
  const out = resolve(opts.out);
  const stateFile = join(out, 'compare.json');
  let state: CompareState;
  if (opts.resume) {
    if (!existsSync(stateFile)) throw new DistilleryError('RESUME_NO_CHECKPOINT', `${out}: no comparison to resume (compare.json is missing)`, 'run without --resume to start afresh', out);
    state = JSON.parse(readFileSync(stateFile, 'utf8')) as CompareState;
    if (JSON.stringify(validateConfig(compareConfigSchema, state.config, stateFile)) !== JSON.stringify(config)) report({ event: 'warning', message: `the config differs from the one stored in ${stateFile}: resuming with the stored one` });
    config = validateConfig(compareConfigSchema, state.config, stateFile);
  } else {
    if (existsSync(out) && readdirSync(out).length > 0) throw new DistilleryError('OUT_EXISTS', `${out}: the output folder is not empty`, 'pass --resume to continue that comparison, or another --out', out);
    state = { version: 1, baseDir: resolve(opts.baseDir ?? process.cwd()), config, arms: {} };
  }
  const baseDir = state.baseDir;
  const { plan, data, teacher } = await preflight(config, baseDir, report);
  try {
    mkdirSync(out, { recursive: true });
    writeJsonAtomic(stateFile, state);
    report({ event: 'start', command: 'compare', out, resume: opts.resume ?? false, budget: plan.budget, seeds: plan.seeds });
    report({ event: 'info', message: `compare: 4 arms × ${plan.seeds.length} seeds, ${plan.budget.toExponential(2)} training MACs each (hand student ${plan.studentMacs.toLocaleString('en-US')} MACs/sample, teacher ${plan.teacherMacs.toLocaleString('en-US')}, ${plan.samples} training samples)` });
    const costOf = (model: ModelSpec) => {
      const c = checkSpecLimits(model, [], plan.inputShape, plan.numClasses).metrics as Record<string, number>;
      const m = modelCost(model, plan.inputShape, plan.numClasses);
      return { cost: c[plan.metric] ?? NaN, macs: m.macs, params: m.params };
    };
    for (const arm of ARMS) {
      const done = (state.arms[arm] ??= []);
      for (const seed of plan.seeds) {
        if (done.some((r) => r.seed === seed)) continue;
        report({ event: 'info', message: `compare: arm ${arm}, seed ${seed}` });
        const dir = join(out, arm, `seed-${seed}`);
        mkdirSync(dir, { recursive: true });
        const r = await runArmSeed(arm, seed, { config, baseDir, plan, teacher, dir, reporter: report, costOf });
        done.push(r);
        writeJsonAtomic(stateFile, state);
        report({ event: 'arm_done', arm, seed, trainingMacs: r.trainingMacs, valAccuracy: r.valAccuracy, chosen: r.chosen } as unknown as DistilleryEvent);
      }
    }

    // The test split, read once, for the chosen models only.
    const test = data.test!;
    const evalBatch = config.train.evalBatchSize;
    for (const arm of ARMS) {
      for (const r of state.arms[arm]!) {
        const model = await loadModel(r.modelDir);
        const s = evaluate(model, test, { batchSize: evalBatch });
        model.dispose();
        Object.assign(r, { testAccuracy: s.accuracy, testErrors: s.errors, testSamples: s.n });
      }
    }
    const tTest = await evaluateTeacher(teacher, test, config.cache?.batchSize ?? 1000);
    const tVal = await evaluateTeacher(teacher, data.validation!, config.cache?.batchSize ?? 1000);
    writeJsonAtomic(stateFile, state);

    const arms = {} as Record<ArmName, ArmResult>;
    const figures: ArmFigures[] = [];
    for (const arm of ARMS) {
      const seeds = state.arms[arm]!;
      const within = seeds.every((r) => Number.isFinite(r.cost) && plan.limits.every((l) => l.metric !== plan.metric || (l.op === '<=' ? r.cost <= l.value : r.cost >= l.value)));
      const best = {
        accuracy: spread(seeds.map((r) => r.testAccuracy!)), cost: spread(seeds.map((r) => r.cost)), metric: plan.metric, withinLimits: within,
        trainingMacs: spread(seeds.map((r) => r.trainingMacs)), seconds: seeds.reduce((a, r) => a + r.seconds, 0),
      };
      const pts = seeds.map((r) => [-r.testAccuracy!, r.cost]);
      const front = (pts.length ? nonDominatedSort(pts)[0]! : []).map((i) => ({ seed: seeds[i]!.seed, accuracy: seeds[i]!.testAccuracy!, cost: seeds[i]!.cost, model: seeds[i]!.modelDir }));
      arms[arm] = { trainingMacs: best.trainingMacs.mean, seeds, best, front };
      figures.push({ arm, accuracy: best.accuracy, cost: best.cost, trainingMacs: best.trainingMacs, seconds: best.seconds, withinLimits: within });
    }
    const text = verdict(figures, { metric: plan.metric, limits: config.limits, seeds: plan.seeds.length, budgetEpochs: plan.budget / (3 * plan.studentMacs * plan.samples) });
    const t = { valAccuracy: tVal.accuracy, testAccuracy: tTest.accuracy, macs: plan.teacherMacs, ...(plan.metric === 'macs' ? { cost: plan.teacherMacs } : {}) };
    const files = writeCompareReport({ title: `distillery compare: ${config.name}`, config, plan, teacher: t, arms, verdict: text }, join(out, 'report.html'));
    return { out, plan, teacher: t, arms, verdict: text, report: files, seconds: (Date.now() - started) / 1000 };
  } finally {
    teacher.dispose();
  }
}
