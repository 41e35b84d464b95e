/**
 * Streaming keyword spotting, measured (issue 15): a long recording built from the **test**
 * split of a Speech Commands folder (keywords and non-keywords over its background noise, at
 * seeded random positions, src/data/audio/longform.ts), scanned by `predict --stream`'s code
 * (src/jobs/predict-audio.ts) with a trained keyword model on one engine thread. Prints the
 * precision and recall of the detections (a detection matches an inserted keyword of the same
 * label whose spoken part it overlaps, one to one) and the real-time factor (audio seconds per
 * compute second; the median of `--runs` scans, the model loaded once before).
 *
 * Then the speed arms (bench/kws-stream-arms.ts), `--runs` rounds each on the same recording:
 * TF.js with shared features, TF.js per window, and the peer, onnxruntime per window on the
 * model's ONNX export (`--onnx FILE`, else a temporary export), whose detections must equal
 * TF.js's. `--peer none` leaves the peer out (the two TF.js arms still run).
 *
 *   npm run bench:kws-stream -- --model runs/kws-dscnn/model [--data data/kws] [--seconds 60]
 *     [--seed 1] [--threads 1] [--backend auto] [--runs 3] [--stride 0.1] [--smoothing 3]
 *     [--threshold 0.7] [--suppression 1] [--sweep] [--write long.wav] [--peer onnx|none]
 *     [--onnx model.onnx] [--json]
 *
 * `--write long.wav` keeps the recording (and `long.json`, the inserted words), so
 * `distillery predict MODEL long.wav --stream` can be run on it by hand. `--sweep` adds
 * precision and recall at other thresholds. On the synthetic set every figure is synthetic.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildTestRecording, encodeWav } from '../src/data/audio/index.ts';
import { disposeEngine, engineInfo } from '../src/engine/index.ts';
import { predictStream, type PredictStreamOptions } from '../src/jobs/predict-audio.ts';
import { scoreDetections } from '../src/jobs/stream.ts';
import { median } from './measure.ts';
import { runArms } from './kws-stream-arms.ts';

const argv = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const num = (name: string): number | undefined => (option(name) === undefined ? undefined : Number(option(name)));
const json = argv.includes('--json');
const model = option('model') ?? 'runs/kws-dscnn/model';
const folder = option('data') ?? 'data/kws';
const seconds = num('seconds') ?? 60;
const seed = num('seed') ?? 1;
const runs = num('runs') ?? 3;
const threads = num('threads') ?? 1;
const peer = option('peer') ?? 'onnx';
if (peer !== 'onnx' && peer !== 'none') {
  process.stderr.write(`--peer ${peer}: expected onnx or none\n`);
  process.exit(2);
}

const meta = JSON.parse(readFileSync(join(model, 'model.json'), 'utf8')) as { userDefinedMetadata?: { distillery?: { classNames?: string[]; audio?: { sampleRate: number; samples: number } } } };
const d = meta.userDefinedMetadata?.distillery;
const classNames: string[] = d?.classNames ?? (JSON.parse(readFileSync(join(model, 'labels.json'), 'utf8')) as string[]);
const words = classNames.filter((c) => !c.startsWith('_'));
const rate = d?.audio?.sampleRate ?? 16000;
const clipSeconds = (d?.audio?.samples ?? rate) / rate;

const rec = buildTestRecording({ folder, words, seconds, seed, sampleRate: rate, clipSeconds });
const keywords = rec.words.filter((w) => !w.label.startsWith('_'));
const dir = mkdtempSync(join(tmpdir(), 'distillery-kws-stream-'));
const wav = option('write') ?? join(dir, 'long.wav');
writeFileSync(wav, encodeWav(rec.samples, rate));
if (option('write')) writeFileSync(wav.replace(/\.wav$/i, '') + '.json', JSON.stringify({ sampleRate: rate, seconds, seed, words: rec.words }, null, 1) + '\n');

const base: PredictStreamOptions = {
  threads,
  ...(option('backend') ? { backend: option('backend') as 'auto' } : {}),
  ...(num('stride') !== undefined ? { strideSeconds: num('stride')! } : {}),
  ...(num('smoothing') !== undefined ? { smoothing: num('smoothing')! } : {}),
  ...(num('threshold') !== undefined ? { threshold: num('threshold')! } : {}),
  ...(num('suppression') !== undefined ? { suppressionSeconds: num('suppression')! } : {}),
};
try {
  const results = [];
  // CPU seconds too: on a shared machine wall time counts other people's work, CPU time does not.
  const cpu: number[] = [];
  for (let r = 0; r < runs; r++) {
    const c0 = process.cpuUsage();
    results.push(await predictStream(model, wav, base));
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1e6);
  }
  const first = results[0]!;
  const score = scoreDetections(first.detections, keywords);
  const rtf = median(results.map((r) => r.realTimeFactor));
  const sweep: { threshold: number; precision: number; recall: number }[] = [];
  if (argv.includes('--sweep')) {
    for (const threshold of [0.5, 0.6, 0.7, 0.8, 0.9]) {
      const r = await predictStream(model, wav, { ...base, threshold });
      const s = scoreDetections(r.detections, keywords);
      sweep.push({ threshold, precision: s.precision, recall: s.recall });
    }
  }
  const arms = await runArms(model, wav, first.settings, { peer, onnx: option('onnx'), threads, rounds: runs, classNames });
  const armFigures = arms.arms.map((a) => ({ arm: a.arm, realTimeFactor: a.realTimeFactor, cpuRealTimeFactor: a.cpuRealTimeFactor, wallSeconds: a.wallSeconds, cpuSeconds: a.cpuSeconds, detections: a.detections.length }));
  const engine = engineInfo();
  const out = {
    event: 'done',
    bench: 'kws-stream',
    model,
    data: folder,
    seconds: first.audioSeconds,
    seed,
    keywords: keywords.length,
    nonKeywords: rec.words.length - keywords.length,
    detections: first.detections.length,
    ...score,
    realTimeFactor: rtf,
    realTimeFactors: results.map((r) => r.realTimeFactor),
    /** Audio seconds per CPU second of the whole call (model loading included), the median over runs. */
    cpuRealTimeFactor: median(cpu.map((c) => first.audioSeconds / c)),
    windows: first.windows,
    sharedFeatures: first.sharedFeatures,
    settings: first.settings,
    engine: engine ? { backend: engine.backend, threads: engine.threads } : undefined,
    loadAverage: loadavg()[0],
    ...(sweep.length > 0 ? { sweep } : {}),
    peer,
    arms: armFigures,
    ratios: arms.ratios,
    ...(arms.parity ? { parity: arms.parity } : {}),
    ...(arms.onnx ? { onnx: arms.onnx } : {}),
  };
  if (arms.parity && !arms.parity.detectionsEqual) process.exitCode = 1;
  if (json) process.stdout.write(JSON.stringify(out) + '\n');
  else {
    const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
    process.stdout.write(
      `${first.audioSeconds.toFixed(1)} s of test-split audio (seed ${seed}): ${keywords.length} keywords, ${out.nonKeywords} non-keywords inserted; ` +
        `${first.detections.length} detections\n` +
        `precision ${pct(score.precision)}  recall ${pct(score.recall)}  (${score.truePositives} hits, ${score.falsePositives} false alarms, ${score.misses} misses)\n` +
        `predict --stream: real-time factor ${rtf.toFixed(1)}x on ${engine?.backend} with ${engine?.threads} thread(s) (runs: ${out.realTimeFactors.map((v) => v.toFixed(1)).join(', ')}; ` +
        `${first.windows} windows every ${first.settings.strideSeconds} s, features ${first.sharedFeatures ? 'shared between windows' : 'per window'}; load average ${out.loadAverage.toFixed(1)})\n` +
        `predict --stream: audio seconds per CPU second ${out.cpuRealTimeFactor.toFixed(1)}x (model loading included)\n`,
    );
    for (const s of sweep) process.stdout.write(`  threshold ${s.threshold}: precision ${pct(s.precision)} recall ${pct(s.recall)}\n`);
    process.stdout.write(`arms (${runs} rounds each, model loading excluded; median real-time factors, wall and CPU):\n`);
    for (const a of armFigures) process.stdout.write(`  ${a.arm.padEnd(12)} wall ${a.realTimeFactor.toFixed(1)}x  CPU ${a.cpuRealTimeFactor.toFixed(1)}x  (${a.detections} detections)\n`);
    const r = arms.ratios;
    process.stdout.write(`  speed ratios (wall, CPU; above 1: the first is faster): shared/per-window ${r.sharedOverWindow.toFixed(2)}, ${r.sharedOverWindowCpu.toFixed(2)}` + (r.onnxOverTfjsWindow !== undefined ? `; onnxruntime/TF.js per window ${r.onnxOverTfjsWindow.toFixed(2)}, ${r.onnxOverTfjsWindowCpu!.toFixed(2)}` : '') + '\n');
    if (arms.parity) process.stdout.write(`  parity: onnxruntime detections ${arms.parity.detectionsEqual ? 'equal' : 'DIFFER FROM'} TF.js's; largest window probability gap ${arms.parity.maxProbDiff.toExponential(1)}\n`);
  }
} finally {
  await disposeEngine();
  rmSync(dir, { recursive: true, force: true });
}
