/**
 * How well does the latency predictor do? On each runtime: profiles a device on a pool of
 * random models from two spaces (MobileNet-style and MLP), fitting the kernel model on whole
 * models chosen adaptively; then, on held-out random models from both spaces, compares the
 * prediction with the measured latency, beside the noise floor (the same held-out models
 * measured before the profile and again after it, minutes apart) and two trivial baselines
 * fitted on the same data: latency proportional to MACs (a + b·MACs), and the block-sum table.
 *
 *   node --import tsx bench/predictor.ts [--runtime both|onnx|tfjs-wasm|browser] [--models 100] [--pool 160]
 *     [--threads 1] [--iterations 50] [--rounds 4] [--json] [--out table-prefix] [--pin CPU [--realtime]]
 *     [--dump file.json] [--over-rounds min|median] [--kernel-models 96]
 *
 * --pin CPU keeps the timing (main) thread on core CPU, node's helper threads free to run
 * elsewhere; --realtime also runs it round-robin real-time (`chrt -r`, never FIFO), so other
 * jobs on that core stop preempting it. Each is skipped with a note where not permitted.
 *
 * Every figure is a model's fastest run per round, median over rounds, with the machine's drift
 * divided out (see measureModels); the held-out passes time the profile's calibration models
 * along (anchors), so both are on the profile's scale: a machine that runs 20% slower after
 * the profile than before it does not read as 20% error, in the predictor or the floor.
 * The load average at the start and end is printed with the figures.
 *
 * Beside the predictor, the same training timings are fitted without the block features, with
 * signed coefficients (an experiment), and on onnx with an emulation of onnxruntime's NCHWc
 * layout changes added (`ortLayout`, an experiment), each judged on the held-out models and
 * leave-one-out on the training models.
 *
 * --dump writes every timing it fitted and judged on (per runtime: the kernel model's training
 * models and their figures, the held-out models and both passes), to try other model forms on
 * the same measurements without timing again.
 *
 * With --json the last line is {"event":"done","runtimes":{"onnx":{"within10",…,"noiseWithin10",…},…}}.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { writeJsonAtomic } from '../src/core/fs.ts';
import { costOfResolved, type ResolvedModelSpec } from '../src/models/index.ts';
import { anchorScale, measureModels, profileDevice, randomMlpSpecs, randomSpecs, summarizeErrors, type ErrorSummary } from '../src/deploy/predict/index.ts';
import { blockInstances, fitKernelModel, fitNonNegative, KERNEL_OPS, kernelsOf, kindSums, predictBlockSum, predictKernelMs, predictLatency } from '../src/models/latency/index.ts';
import { runtimeName, type RuntimeName } from '../src/deploy/bench/index.ts';
import { pinMainThread } from '../src/deploy/predict/pin.ts';

const { values } = parseArgs({
  options: {
    runtime: { type: 'string', default: 'both' },
    models: { type: 'string', default: '100' },
    pool: { type: 'string', default: '160' },
    threads: { type: 'string', default: '1' },
    iterations: { type: 'string', default: '50' },
    rounds: { type: 'string', default: '4' },
    json: { type: 'boolean', default: false },
    out: { type: 'string' },
    dump: { type: 'string' },
    pin: { type: 'string' },
    realtime: { type: 'boolean', default: false },
    'over-rounds': { type: 'string' },
    'kernel-models': { type: 'string', default: '96' },
  },
});
const pin = values.pin !== undefined ? pinMainThread({ cpu: Number(values.pin), realtime: values.realtime }) : undefined;
if (values.realtime && !pin) throw new Error('--realtime needs --pin CPU (a real-time thread free to roam every core would starve them all)');
const count = Number(values.models);
const poolSize = Number(values.pool);
const threads = Number(values.threads);
const iterations = Number(values.iterations);
const rounds = Number(values.rounds);
const runtimes: RuntimeName[] = values.runtime === 'both' ? ['onnx', 'tfjs-wasm'] : values.runtime!.split(',').map((r) => runtimeName(r));
const say = (s: string): void => {
  if (!values.json) process.stdout.write(s);
};
const pinning = pin ? `main thread ${pin.pinned ? `on core ${values.pin}` : 'not pinned'}${values.realtime ? (pin.realtime ? ', round-robin real-time' : ', not real-time') : ''}` : 'not pinned';
say(`timing: ${pinning}\n`);
for (const n of pin?.notes ?? []) say(`note: ${n}\n`);

const key = (s: ResolvedModelSpec): string => JSON.stringify(s);
/** Half MobileNet-style, half MLP, interleaved; `avoid` keeps held-out and pool apart. */
function mixed(n: number, seed: number, avoid = new Set<string>()): { spec: ResolvedModelSpec; space: string }[] {
  const a = randomSpecs(n, seed).filter((s) => !avoid.has(key(s)));
  const b = randomMlpSpecs(n, seed + 1).filter((s) => !avoid.has(key(s)));
  const out: { spec: ResolvedModelSpec; space: string }[] = [];
  for (let i = 0; out.length < n && (i < a.length || i < b.length); i++) {
    if (i < a.length) out.push({ spec: a[i]!, space: 'mobile' });
    if (out.length < n && i < b.length) out.push({ spec: b[i]!, space: 'mlp' });
  }
  return out;
}

/** onnxruntime's NCHWc block on this CPU: 16 channels with AVX-512, else 8 (see bench/ort-layout.ts). */
const nchwcBlock = (() => {
  try {
    return /\bavx512f\b/.test(readFileSync('/proc/cpuinfo', 'utf8')) ? 16 : 8;
  } catch {
    return 8;
  }
})();

/**
 * An experiment, not the predictor: onnxruntime's layout changes as bench/ort-layout.ts shows
 * them, emulated per block (every conv runs blocked; a conv with fewer input channels than the
 * block, a pool whose channels are not a multiple of it, Flatten and Gemm read plain NCHW, a
 * ReorderOutput before each; a standalone BN is a blocked depthwise conv on a blocked tensor,
 * a BatchNormalization on a plain one). Returned as extra features for an ablation line.
 */
function ortLayout(spec: ResolvedModelSpec): Record<string, number> {
  const f = { 'layout.reorders': 0, 'layout.reorderElems': 0, 'layout.bnBlocked': 0, 'layout.bnBlockedElems': 0, 'layout.bnPlain': 0, 'layout.bnPlainElems': 0, 'layout.plainPools': 0, 'layout.paddedElems': 0 };
  let blocked = false;
  for (const b of blockInstances(spec)) {
    const inE = b.inShape.reduce((x, y) => x * y, 1);
    const toPlain = (): void => {
      if (blocked) [f['layout.reorders'], f['layout.reorderElems'], blocked] = [f['layout.reorders'] + 1, f['layout.reorderElems'] + inE, false];
    };
    const t = b.block.type;
    if (t === 'conv2d' || t === 'sepconv' || t === 'mbconv') {
      if (b.inShape[2]! < nchwcBlock) toPlain();
      blocked = true;
      const [h, w, c] = b.outShape as [number, number, number];
      f['layout.paddedElems'] += ((nchwcBlock - (c % nchwcBlock)) % nchwcBlock) * h * w;
    } else if (t === 'batchnorm' && b.inShape.length === 3) {
      if (blocked) [f['layout.bnBlocked'], f['layout.bnBlockedElems']] = [f['layout.bnBlocked'] + 1, f['layout.bnBlockedElems'] + inE];
      else [f['layout.bnPlain'], f['layout.bnPlainElems']] = [f['layout.bnPlain'] + 1, f['layout.bnPlainElems'] + inE];
    } else if (t === 'maxpool' || t === 'avgpool' || t === 'globalavgpool') {
      if (b.inShape[2]! % nchwcBlock !== 0) toPlain();
      if (!blocked) f['layout.plainPools'] += 1;
    } else if (t === 'flatten' || t === 'dense') toPlain();
  }
  return f;
}

function errors(pred: readonly number[], meas: readonly number[]): ErrorSummary {
  return summarizeErrors(pred.map((p, i) => ({ errorPct: (100 * (p - meas[i]!)) / meas[i]! })));
}
const f = (s: ErrorSummary): string => `within ±10% ${(100 * s.within10).toFixed(0)}%, ±5% ${(100 * s.within5).toFixed(0)}%; |error| median ${s.medianAbsPct.toFixed(1)}%, p90 ${s.p90AbsPct.toFixed(1)}%`;

const result: Record<string, unknown> = {};
const dump: Record<string, unknown> = {};
for (const runtime of runtimes) {
  const pool = mixed(poolSize, 22).map((m) => m.spec);
  const held = mixed(count, 11, new Set(pool.map(key)));
  const heldSpecs = held.map((m) => m.spec);
  const t0 = Date.now();
  const raw = values['over-rounds'];
  if (raw !== undefined && raw !== 'min' && raw !== 'median') throw new Error(`--over-rounds: min or median, not '${raw}'`);
  const over = raw as 'min' | 'median' | undefined;
  const opts = { runtime, threads, iterations, rounds, ...(over ? { overRounds: over } : {}) } as const;
  const load0 = loadavg()[0]!;
  const calib = pool.slice(0, 24);
  // the calibration models time along with the held-out ones: the anchors that put this pass
  // on the profile's scale once the profile has measured them
  const before = await measureModels(heldSpecs, { ...opts, anchors: { specs: calib } });
  let train: { specs: readonly ResolvedModelSpec[]; ms: readonly number[] } = { specs: [], ms: [] };
  // The table holds the blocks of the pool and of the held-out models (as `bench --predict`
  // has them when the table was profiled on the space): the block-sum baseline predicts from
  // them, and the kernel model reads each block kind's summed latency as a feature. The
  // kernel model is fitted on whole models of the pool only.
  const table = await profileDevice([...pool, ...heldSpecs], {
    ...opts,
    calibration: calib,
    kernelModels: Math.min(Number(values['kernel-models']), pool.length),
    kernelPool: pool,
    onKernelData: (specs, ms) => (train = { specs, ms }),
  });
  // the kernel model is fitted on models from `pool` only: check that no held-out one slipped in
  const heldKeys = new Set(heldSpecs.map(key));
  const leaked = train.specs.filter((s) => heldKeys.has(key(s))).length;
  const after = await measureModels(heldSpecs, { ...opts, anchors: table.anchors! });
  const beforeScale = anchorScale(before.anchorMs!, table.anchors!.ms);
  const beforeMs = before.ms.map((v) => v * beforeScale);
  const load1 = loadavg()[0]!;
  const seconds = (Date.now() - t0) / 1000;
  if (values.out) writeJsonAtomic(`${values.out}-${runtime}.json`, table);
  dump[runtime] = { train, held: { specs: heldSpecs, spaces: held.map((m) => m.space), before: beforeMs, after: after.ms } };
  if (values.dump) writeJsonAtomic(values.dump, dump);
  const meas = after.ms;
  const kernel = heldSpecs.map((s) => predictLatency(s, table).ms);
  const blockSum = heldSpecs.map((s) => predictBlockSum(s, table));
  const macsOf = (s: ResolvedModelSpec): number => costOfResolved(s).macs;
  const [a, b] = fitNonNegative(train.specs.map((s) => [1, macsOf(s)]), train.ms);
  const macs = heldSpecs.map((s) => a! + b! * macsOf(s));
  const summary = errors(kernel, meas);
  // The same timings fitted with and without the block features, judged on the held-out models
  // and leave-one-out on the training models (one pass, so no drift between fit and judgement).
  const sums = (s: ResolvedModelSpec): Record<string, number> => kindSums(s, table);
  // 'kernels+blocks' is the predictor's form; the signed and layout lines are experiments on
  // the same timings (see fitKernelModel's `signed`, ortLayout)
  const forms: Record<string, { bs?: (s: ResolvedModelSpec) => Record<string, number>; signed?: boolean }> = {
    kernels: {},
    'kernels+blocks': { bs: sums },
    'kernels+blocks signed': { bs: sums, signed: true },
    ...(runtime === 'onnx' ? { 'kernels+blocks+layout': { bs: (s: ResolvedModelSpec) => ({ ...sums(s), ...ortLayout(s) }) } } : {}),
  };
  const ablation = Object.fromEntries(Object.entries(forms).map(([name, { bs, signed }]) => {
    const o = signed !== undefined ? { signed } : {};
    const km = fitKernelModel(train.specs, train.ms, runtime, bs, o);
    const loo = train.specs.map((s, i) => {
      const k = fitKernelModel(train.specs.filter((_, j) => j !== i), train.ms.filter((_, j) => j !== i), runtime, bs, o);
      return predictKernelMs(s, k, bs?.(s));
    });
    return [name, { heldOut: errors(heldSpecs.map((s) => predictKernelMs(s, km, bs?.(s))), meas), leaveOneOut: errors(loo, train.ms) }];
  }));
  const noise = errors(beforeMs, meas);
  const bySpace = Object.fromEntries(['mobile', 'mlp'].map((sp) => {
    const idx = held.map((m, i) => (m.space === sp ? i : -1)).filter((i) => i >= 0);
    return [sp, { predictor: errors(idx.map((i) => kernel[i]!), idx.map((i) => meas[i]!)), noise: errors(idx.map((i) => beforeMs[i]!), idx.map((i) => meas[i]!)) }];
  }));
  const spread = [...after.spreadPct].sort((x, y) => x - y);
  say(`\n## ${runtime}, ${threads} thread(s), batch 1: ${held.length} held-out models (${bySpace['mobile']!.predictor.n} MobileNet-style, ${bySpace['mlp']!.predictor.n} MLP); kernel model fitted on ${train.specs.length} pool models${leaked ? ` (${leaked} held-out!)` : ''}; ${seconds.toFixed(0)} s\n`);
  say(`predictor (fused kernels):   ${f(summary)}\n`);
  say(`noise floor (measured twice): ${f(noise)}\n`);
  say(`baseline MACs-proportional:   ${f(errors(macs, meas))}\n`);
  say(`baseline block-sum table:     ${f(errors(blockSum, meas))}\n`);
  for (const [name, v] of Object.entries(ablation)) say(`  fitted on ${name}: held-out ${f(v.heldOut)}; leave-one-out on the training models ${f(v.leaveOneOut)}\n`);
  for (const [sp, v] of Object.entries(bySpace)) say(`  ${sp}: predictor ${f(v.predictor)}; noise ${f(v.noise)}\n`);
  say(`rounds' spread per model (max-min over median, before drift is divided out): median ${spread[spread.length >> 1]!.toFixed(1)}%\n`);
  say(`machine: load average ${load0.toFixed(1)} at the start, ${load1.toFixed(1)} at the end; held-out passes scaled by ${beforeScale.toFixed(3)} (before) and ${after.scale.toFixed(3)} (after) to the profile's speed\n`);
  // Where the error sits: the median signed error of the models that run each kernel kind
  // (against those that do not), and by size (latency thirds). A kind whose models lean one way
  // is mis-costed; one error over all sizes alike would be the fixed cost.
  const signed = kernel.map((p, i) => (100 * (p - meas[i]!)) / meas[i]!);
  const med = (v: number[]): number => (v.length === 0 ? NaN : [...v].sort((x, y) => x - y)[v.length >> 1]!);
  const kinds = KERNEL_OPS.map((op) => {
    const has = heldSpecs.map((s) => kernelsOf(s, runtime).some((k) => k.op === op));
    return { op, n: has.filter(Boolean).length, with: med(signed.filter((_, i) => has[i])), without: med(signed.filter((_, i) => !has[i])) };
  }).filter((k) => k.n > 0 && k.n < heldSpecs.length);
  const bySize = [...meas.keys()].sort((x, y) => meas[x]! - meas[y]!);
  const thirds = [0, 1, 2].map((t) => bySize.slice(Math.floor((t * bySize.length) / 3), Math.floor(((t + 1) * bySize.length) / 3)));
  const sizes = thirds.map((ix) => ({ fromMs: meas[ix[0]!]!, toMs: meas[ix.at(-1)!]!, median: med(ix.map((i) => signed[i]!)), medianAbs: med(ix.map((i) => Math.abs(signed[i]!))) }));
  say(`signed error (predicted - measured) by kernel kind, median, models with / without it: ${kinds.map((k) => `${k.op} ${k.with.toFixed(1)}/${k.without.toFixed(1)}% (${k.n})`).join(', ')}\n`);
  say(`by size: ${sizes.map((z) => `${z.fromMs.toFixed(3)}-${z.toMs.toFixed(3)} ms ${z.median >= 0 ? '+' : ''}${z.median.toFixed(1)}% (|error| ${z.medianAbs.toFixed(1)}%)`).join('; ')}\n`);
  say(`kernel costs: ${table.kernels!.features.map((n, i) => [n, table.kernels!.coef[i]!] as const).filter(([, c]) => c > 0).map(([n, c]) => `${n} ${c.toPrecision(3)}`).join(', ')}\n`);
  result[runtime] = {
    n: summary.n,
    within10: summary.within10,
    within5: summary.within5,
    medianError: summary.medianAbsPct,
    p90Error: summary.p90AbsPct,
    noiseWithin10: noise.within10,
    noiseWithin5: noise.within5,
    noiseMedianError: noise.medianAbsPct,
    noiseP90Error: noise.p90AbsPct,
    baselines: { macs: errors(macs, meas), blockSum: errors(blockSum, meas) },
    ablation,
    kernelCosts: Object.fromEntries(table.kernels!.features.map((n, i) => [n, table.kernels!.coef[i]!] as const).filter(([, c]) => c > 0)),
    spaces: bySpace,
    trainModels: train.specs.length,
    seconds,
    load: [load0, load1],
    residuals: { kinds, sizes },
    anchorScales: [beforeScale, after.scale],
  };
}
if (values.json) process.stdout.write(`${JSON.stringify({ event: 'done', threads, iterations, rounds, pin: pin ? { cpu: Number(values.pin), pinned: pin.pinned, realtime: pin.realtime, notes: pin.notes } : null, runtimes: result })}\n`);
