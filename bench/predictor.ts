/**
 * How well does the latency predictor do? Generates varied random models over every block kind,
 * profiles their blocks on a runtime (batch 1), fits the per-model overhead on separate
 * calibration models, then prints predicted against measured latency for each model and the
 * error distribution (nn-Meter's bar: >= 90% of models within ±10%).
 *
 *   node --import tsx bench/predictor.ts [--runtime tfjs-wasm|onnx|both] [--models 24] [--threads 1] [--iterations 100]
 */
import { parseArgs } from 'node:util';
import { writeJsonAtomic } from '../src/core/fs.ts';
import { comparePredictions, measureLatency, profileDevice, randomSpecs, summarizeErrors } from '../src/deploy/predict/index.ts';
import type { LatencyTable } from '../src/models/latency/index.ts';
import { RUNTIMES, runtimeName } from '../src/deploy/bench/index.ts';

const { values } = parseArgs({
  options: {
    runtime: { type: 'string', default: 'both' },
    models: { type: 'string', default: '24' },
    threads: { type: 'string', default: '1' },
    iterations: { type: 'string', default: '100' },
    out: { type: 'string' },
  },
});
const count = Number(values.models);
const threads = Number(values.threads);
const iterations = Number(values.iterations);
const runtimes = values.runtime === 'both' ? [...RUNTIMES] : [runtimeName(values.runtime)];

const evalSpecs = randomSpecs(count, 11);
// Separate calibration models fit the per-kind scales and overhead: the checked models play no part.
const calibration = randomSpecs(24, 22);
const models = evalSpecs.map((spec, i) => ({ name: `m${String(i).padStart(2, '0')} ${spec.blocks.map((b) => b.type).join('-')}`, spec }));

for (const runtime of runtimes) {
  // Measured once before profiling and once after (by comparePredictions): their difference is
  // how much this machine drifts over a profile, the floor under any predictor's error here.
  const before = await measureLatency(evalSpecs, { runtime, threads, iterations });
  const t0 = Date.now();
  const table: LatencyTable = await profileDevice([...calibration, ...evalSpecs], { runtime, threads, iterations, calibration });
  const profiled = (Date.now() - t0) / 1000;
  if (values.out) writeJsonAtomic(`${values.out}-${runtime}.json`, table);
  const { rows, summary } = await comparePredictions(models, table, { iterations });
  process.stdout.write(`\n## ${runtime}, ${threads} thread(s), batch 1: ${Object.keys(table.entries).length} blocks profiled in ${profiled.toFixed(0)} s; overhead ${table.overheadMs.toFixed(3)} ms; kind scales ${Object.entries(table.kindScales).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ') || `all ${table.scale.toFixed(2)}`}\n`);
  process.stdout.write(`${'model'.padEnd(58)} ${'predicted'.padStart(10)} ${'measured'.padStart(10)} ${'error'.padStart(8)}\n`);
  for (const r of rows) process.stdout.write(`${r.name.slice(0, 58).padEnd(58)} ${r.predictedMs.toFixed(3).padStart(10)} ${r.measuredMs.toFixed(3).padStart(10)} ${(r.errorPct.toFixed(1) + '%').padStart(8)}\n`);
  const repeat = summarizeErrors(before.map((m, i) => ({ errorPct: (100 * (m - rows[i]!.measuredMs)) / rows[i]!.measuredMs })));
  process.stdout.write(
    `within ±10%: ${(100 * summary.within10).toFixed(0)}% of ${summary.n} models (±5%: ${(100 * summary.within5).toFixed(0)}%); ` +
      `|error| mean ${summary.meanAbsPct.toFixed(1)}%, median ${summary.medianAbsPct.toFixed(1)}%, p90 ${summary.p90AbsPct.toFixed(1)}%, max ${summary.maxAbsPct.toFixed(1)}%\n` +
      `noise floor (the same models measured before profiling vs after): within ±10%: ${(100 * repeat.within10).toFixed(0)}%; |difference| median ${repeat.medianAbsPct.toFixed(1)}%, p90 ${repeat.p90AbsPct.toFixed(1)}%\n`,
  );
}
