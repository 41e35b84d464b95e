/**
 * Once-for-all against per-candidate search on MNIST, at counted training compute (issue 16).
 *
 *   npm run bench:supernet -- [--quick] [--seeds N] [--first-seed N] [--trials N] [--epochs N] [--ratio R] [--json]
 *
 * Both arms search the same subnets (examples/mnist-supernet.yaml's space: a stem and two
 * stages of inverted residual blocks, elastic in depth, expansion and kernel) for accuracy
 * (max) against MACs (min) under the same limit, on the same split of the first 12,000 MNIST
 * training images (2,000 held out to score candidates):
 *
 * - per candidate: `distillery search` trains `--trials` subnets from scratch, each distilled
 *   from the committed ONNX CNN teacher for `--epochs` epochs (random strategy);
 * - supernet: `supernet train` for as many whole epochs as fit in `--ratio` (default 1/3) of the
 *   per-candidate arm's training MACs (at least one), then `supernet search` scores 30 subnets
 *   (evolution) by BN recalibration + validation, no training.
 *
 * Training MACs are counted the same way for both: 3 × forward MACs × samples seen (every
 * subnet of every sandwich step; every epoch of every trained candidate). The teacher's
 * forward passes (once over the training set) are not counted for the per-candidate arm, nor
 * is the teacher's own training: that arm is favoured. Hypervolume: of (accuracy, MACs) against
 * the reference (0, limit), divided by the limit (so it lies in [0, 1]). Best validation
 * accuracy under the limit and under half of it. Mean ± std over `--seeds` seeds.
 * `--quick`: 6,000 images (1,000 held out), batches of 32, 20 subnets scored, one seed. With `--json` the last stdout line is
 * `{"event":"done","supernet":{"hypervolume","trainingMacs",…},"perCandidate":{…},…}`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { validateConfig } from '../src/config/index.ts';
import { openStore, type StudySummary } from '../src/store/index.ts';
import { prepareStudy, runStudy, studyConfigSchema } from '../src/study/index.ts';
import { loadSupernetConfig, plannedTrainingMacs, searchSupernet, templateSpace, trainSupernet, TRAIN_MACS_FACTOR } from '../src/supernet/index.ts';

const ROOT = resolve(import.meta.dirname, '..');

interface Settings {
  quick: boolean;
  seeds: number;
  /** The first seed (seeds run first, first + 1, …). */
  firstSeed: number;
  trials: number;
  epochs: number;
  ratio: number;
  limit: number;
  validation: number;
  searchTrials: number;
  batchSize: number;
  json: boolean;
}

function parseArgs(argv: readonly string[]): Settings {
  const get = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? Number(argv[i + 1]) : undefined;
  };
  const quick = argv.includes('--quick');
  return {
    quick,
    seeds: get('seeds') ?? (quick ? 1 : 3),
    firstSeed: get('first-seed') ?? 1,
    trials: get('trials') ?? 12,
    epochs: get('epochs') ?? 2,
    ratio: get('ratio') ?? 1 / 3,
    limit: quick ? 6000 : 12000,
    validation: quick ? 1000 : 2000,
    searchTrials: quick ? 20 : 30,
    // BN's moving averages (momentum 0.99) need a few hundred steps before a trained candidate's
    // validation means anything: small batches give the quick run's candidates ~300 steps
    batchSize: quick ? 32 : 64,
    json: argv.includes('--json'),
  };
}

const MACS_LIMIT = 300_000;

interface ArmResult {
  hypervolume: number;
  trainingMacs: number;
  best: number;
  bestHalf: number;
  front: { accuracy: number; macs: number }[];
  seconds: number;
}

function summarise(s: StudySummary, trainingMacs: number, seconds: number): ArmResult {
  const done = s.trials.filter((t) => t.state === 'complete' && (t.values['macs'] ?? Infinity) <= MACS_LIMIT);
  const bestUnder = (l: number) => Math.max(0, ...done.filter((t) => t.values['macs']! <= l).map((t) => t.values['accuracy']!));
  return {
    hypervolume: s.hypervolume / MACS_LIMIT, trainingMacs, best: bestUnder(MACS_LIMIT), bestHalf: bestUnder(MACS_LIMIT / 2),
    front: s.pareto.map((t) => ({ accuracy: t.objectives!['accuracy']!, macs: t.objectives!['macs']! })), seconds,
  };
}

async function perCandidate(s: Settings, seed: number, dir: string, data: Record<string, unknown>, space: unknown): Promise<ArmResult> {
  const started = performance.now();
  const config = validateConfig(studyConfigSchema, {
    name: `per-candidate-${seed}`, seed, data,
    teacher: { type: 'onnx', path: join(ROOT, 'examples/teachers/mnist-cnn.onnx'), normalize: { mean: 33.3285, std: 78.5655 } },
    cache: { enabled: false }, space, train: { epochs: s.epochs, batchSize: s.batchSize, optimizer: { type: 'adam', lr: 0.005 }, schedule: { type: 'cosine' } },
    strategy: { name: 'random' }, objectives: [{ metric: 'accuracy', direction: 'max' }, { metric: 'macs', direction: 'min' }], limits: [`macs<=${MACS_LIMIT}`], budget: { trials: s.trials },
  }, 'bench');
  const setup = await prepareStudy(config, { baseDir: ROOT });
  const store = await openStore(join(dir, `per-candidate-${seed}.db`));
  try {
    const summary = await runStudy(setup, { store, artifactsDir: join(dir, 'artifacts') });
    const samples = s.limit - s.validation;
    const macs = summary.trials.filter((t) => t.state !== 'infeasible').reduce((a, t) => a + TRAIN_MACS_FACTOR * (t.values['macs'] ?? 0) * samples * (t.values['epochs'] ?? 0), 0);
    return summarise(summary, macs, (performance.now() - started) / 1000);
  } finally {
    await store.close();
    await setup.dispose();
  }
}

async function supernetArm(s: Settings, seed: number, dir: string, data: Record<string, unknown>, budget: number): Promise<ArmResult & { epochs: number }> {
  const started = performance.now();
  const { config, baseDir } = await loadSupernetConfig(join(ROOT, 'examples/mnist-supernet.yaml'), [], { seed, data });
  const samples = s.limit - s.validation;
  const perEpoch = plannedTrainingMacs({ ...config, train: { ...config.train, epochs: 20, batchSize: s.batchSize } }, samples, [28, 28, 1], 10);
  let epochs = 1;
  while (epochs < perEpoch.length && perEpoch.slice(0, epochs + 1).reduce((a, b) => a + b, 0) <= budget) epochs++;
  const out = join(dir, `supernet-${seed}`);
  const trained = await trainSupernet({ ...config, train: { ...config.train, epochs, batchSize: s.batchSize } }, { out, baseDir });
  const summary = await searchSupernet({ supernet: out, store: join(dir, `supernet-${seed}.db`), limits: [`macs<=${MACS_LIMIT}`], objectives: 'accuracy:max,macs:min', trials: s.searchTrials, strategy: 'evolution', seed });
  return { ...summarise(summary, trained.trainingMacs, (performance.now() - started) / 1000), epochs };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const std = (xs: number[]) => (xs.length < 2 ? 0 : Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1)));
const pm = (xs: number[], f: (x: number) => string) => `${f(mean(xs))} ± ${f(std(xs))}`;

async function main(): Promise<void> {
  const s = parseArgs(process.argv.slice(2));
  const say = (m: string) => (s.json ? process.stderr.write(`${m}\n`) : console.log(m));
  const dir = mkdtempSync(join(tmpdir(), 'distillery-bench-supernet-'));
  const data = { source: 'mnist', limit: s.limit, validation: s.validation, testLimit: 100, normalize: 'scale' };
  const { config } = await loadSupernetConfig(join(ROOT, 'examples/mnist-supernet.yaml'));
  const space = templateSpace(config.supernet);
  const per: ArmResult[] = [];
  const sup: (ArmResult & { epochs: number })[] = [];
  try {
    for (let seed = s.firstSeed; seed < s.firstSeed + s.seeds; seed++) {
      const p = await perCandidate(s, seed, dir, data, space);
      say(`seed ${seed} per-candidate: ${s.trials} trials x ${s.epochs} epochs, ${p.trainingMacs.toExponential(3)} training MACs, hypervolume ${p.hypervolume.toFixed(4)}, best ${(100 * p.best).toFixed(2)}% (${(100 * p.bestHalf).toFixed(2)}% under ${MACS_LIMIT / 2}), ${Math.round(p.seconds)} s`);
      const q = await supernetArm(s, seed, dir, data, s.ratio * p.trainingMacs);
      say(`seed ${seed} supernet: ${q.epochs} epochs, ${q.trainingMacs.toExponential(3)} training MACs (${(q.trainingMacs / p.trainingMacs).toFixed(2)} of per-candidate), hypervolume ${q.hypervolume.toFixed(4)}, best ${(100 * q.best).toFixed(2)}% (${(100 * q.bestHalf).toFixed(2)}% under ${MACS_LIMIT / 2}), ${Math.round(q.seconds)} s`);
      per.push(p);
      sup.push(q);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const arm = (rs: ArmResult[]) => ({
    hypervolume: mean(rs.map((r) => r.hypervolume)), hypervolumeStd: std(rs.map((r) => r.hypervolume)), trainingMacs: mean(rs.map((r) => r.trainingMacs)),
    best: mean(rs.map((r) => r.best)), bestHalf: mean(rs.map((r) => r.bestHalf)), seconds: mean(rs.map((r) => r.seconds)), fronts: rs.map((r) => r.front),
  });
  const ratio = mean(sup.map((r, i) => r.trainingMacs / per[i]!.trainingMacs));
  say(`\nover ${s.seeds} seed(s), limit macs<=${MACS_LIMIT} (hypervolume / limit; best validation accuracy under the limit and under half of it):`);
  say(`  per-candidate  hypervolume ${pm(per.map((r) => r.hypervolume), (x) => x.toFixed(4))}  best ${pm(per.map((r) => 100 * r.best), (x) => x.toFixed(2))}%  half ${pm(per.map((r) => 100 * r.bestHalf), (x) => x.toFixed(2))}%  training MACs ${mean(per.map((r) => r.trainingMacs)).toExponential(3)}`);
  say(`  supernet       hypervolume ${pm(sup.map((r) => r.hypervolume), (x) => x.toFixed(4))}  best ${pm(sup.map((r) => 100 * r.best), (x) => x.toFixed(2))}%  half ${pm(sup.map((r) => 100 * r.bestHalf), (x) => x.toFixed(2))}%  training MACs ${mean(sup.map((r) => r.trainingMacs)).toExponential(3)} (${ratio.toFixed(2)}x)`);
  if (s.json) console.log(JSON.stringify({ event: 'done', supernet: { ...arm(sup), epochs: sup.map((r) => r.epochs) }, perCandidate: arm(per), computeRatio: ratio, macsLimit: MACS_LIMIT, settings: s }));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
