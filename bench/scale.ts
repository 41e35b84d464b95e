/**
 * Scale-out (issue 7): wall time of the same 8-trial study (MLP students distilled from the
 * committed ONNX CNN teacher on MNIST, random strategy so every run trains the same candidates
 * under the same seeds) run inline, on 1 and 2 local worker processes, and on 2 `distillery
 * worker` processes through a Redis server this script starts. Every engine runs on 1 thread, so
 * the ratios show what more processes buy on this machine's cores.
 *
 * Every mode is timed the same way, from before its workers start to the study's end: what a
 * user waits for, worker processes starting, loading the data and computing the teacher's logits
 * once each included. The pool's workers start inside `search()`; the Redis workers are started
 * by this script, after the Redis server is up (a user's server is already running) and inside
 * the timer. For Redis the time its workers took to start and connect is printed too, with the
 * time after it: a pool worker's start is not visible from outside, so only the Redis mode can be
 * shown both ways.
 *
 *   npm run bench:scale [-- --quick] [-- --json]
 */
import { spawn } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { search } from '../src/study/index.ts';
import type { StudySummary } from '../src/store/index.ts';
import { ROOT, tempDir, writeConfig } from '../test/helpers/cli.ts';
import { startRedis } from '../test/helpers/redis.ts';

const json = process.argv.includes('--json');
const quick = process.argv.includes('--quick');
const TRIALS = 8;

function studyConfig(): Record<string, unknown> {
  return {
    name: 'scale', seed: 11, backend: 'wasm', threads: 1,
    data: { source: 'mnist', limit: quick ? 3000 : 20000, validation: 2000, normalize: 'scale' },
    teacher: { type: 'onnx', path: join(ROOT, 'examples/teachers/mnist-cnn.onnx'), normalize: { mean: 33.3285, std: 78.5655 } },
    cache: { enabled: false },
    space: {
      template: {
        model: { blocks: [{ type: 'flatten' }, { type: 'dense', units: { choice: [128, 192, 256, 384] }, activation: { choice: ['relu', 'tanh'] } }, { type: 'dense', units: 10 }] },
        train: { lr: { float: [0.002, 0.01], log: true }, temperature: { choice: [2, 4] }, alpha: { choice: [0.5, 0.9] } },
      },
    },
    train: { epochs: quick ? 1 : 3, batchSize: 32, optimizer: { type: 'adam' } },
    strategy: { name: 'random' },
    objectives: [{ metric: 'accuracy', direction: 'max' }, { metric: 'params', direction: 'min' }],
    budget: { trials: TRIALS },
  };
}

const BIN = join(ROOT, 'bin/distillery.js');

/** Starts a real `distillery worker` process and resolves once it is connected. */
function startWorker(url: string) {
  const child = spawn(process.execPath, [BIN, 'worker', '--redis', url, '--threads', '1', '--json'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (b: Buffer) => b.toString().includes('connected to') && resolve());
    child.on('exit', (code) => reject(new Error(`worker exited with ${code}`)));
  });
  return { child, ready };
}

/** One mode's result: `seconds` includes its workers' start-up; `startupSeconds` where it is known separately. */
interface Row { mode: string; seconds: number; startupSeconds?: number; complete: number; accuracy: number[] }

/**
 * Times one mode from `t0`, which the caller takes before any of the mode's workers start;
 * `startup` (Redis only) resolves to the seconds its workers took to connect.
 */
async function run(mode: string, extra: { workers?: number; executor?: string }, t0 = performance.now(), startup?: Promise<number>): Promise<Row> {
  const dir = tempDir('distillery-bench-scale-');
  const config = writeConfig(dir, 'study.json', studyConfig());
  const work = search({ config, store: join(dir, 'study.db'), ...extra });
  // a worker that dies before it connects fails the run instead of leaving the study waiting
  const s: StudySummary = startup ? await Promise.race([work, startup.then(() => work)]) : await work;
  const seconds = (performance.now() - t0) / 1000;
  const startupSeconds = startup ? await startup : undefined;
  const accuracy = [...s.trials].sort((a, b) => a.number - b.number).map((t) => Number((t.objectives?.['accuracy'] ?? NaN).toFixed(4)));
  if (!json) {
    const up = startupSeconds === undefined ? '' : `, of which ${startupSeconds.toFixed(1)} s workers starting and connecting; ${(seconds - startupSeconds).toFixed(1)} s after`;
    process.stderr.write(`${mode.padEnd(16)} ${seconds.toFixed(1).padStart(6)} s  (${s.counts.complete} complete${up})\n`);
  }
  return { mode, seconds, ...(startupSeconds !== undefined ? { startupSeconds } : {}), complete: s.counts.complete, accuracy };
}

const cores = availableParallelism();
const load = loadavg()[0]!;
if (!json) process.stderr.write(`${TRIALS} trials, ${cores} cores, load average ${load.toFixed(2)} at start\n`);
const rows: Row[] = [];
rows.push(await run('inline', {}));
rows.push(await run('pool, 1 worker', { workers: 1 }));
rows.push(await run('pool, 2 workers', { workers: 2 }));
const redis = await startRedis();
// The timer starts before the workers do, as the pool's starts before it forks its workers;
// the study is submitted at once (jobs wait in Redis until a worker takes them).
const t0 = performance.now();
const workers = [startWorker(redis.url), startWorker(redis.url)];
try {
  const startup = Promise.all(workers.map((w) => w.ready)).then(() => (performance.now() - t0) / 1000);
  startup.catch(() => {});
  rows.push(await run('redis, 2 workers', { executor: redis.url, workers: 2 }, t0, startup));
} finally {
  for (const w of workers) w.child.kill('SIGTERM');
  await redis.stop();
}
const t = Object.fromEntries(rows.map((r) => [r.mode, r.seconds]));
const ratios = {
  pool2VsPool1: t['pool, 1 worker']! / t['pool, 2 workers']!,
  pool2VsInline: t['inline']! / t['pool, 2 workers']!,
  redis2VsInline: t['inline']! / t['redis, 2 workers']!,
  pool1VsInline: t['inline']! / t['pool, 1 worker']!,
};
// The same seeds and candidates everywhere: the objectives must agree whatever ran them.
const same = rows.every((r) => JSON.stringify(r.accuracy) === JSON.stringify(rows[0]!.accuracy));
if (json) {
  process.stdout.write(JSON.stringify({ event: 'done', bench: 'scale', trials: TRIALS, cores, loadAtStart: load, quick, rows, ratios, sameObjectives: same }) + '\n');
} else {
  process.stderr.write(`speed-up: 2 workers vs 1 ${ratios.pool2VsPool1.toFixed(2)}x; 2 workers vs inline ${ratios.pool2VsInline.toFixed(2)}x; redis (2) vs inline ${ratios.redis2VsInline.toFixed(2)}x; 1 worker vs inline ${ratios.pool1VsInline.toFixed(2)}x\n`);
  process.stderr.write(`objectives identical across executors: ${same}\n`);
}
