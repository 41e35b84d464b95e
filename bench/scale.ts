/**
 * Scale-out (issue 7): wall time of the same 8-trial study (MLP students distilled from the
 * committed ONNX CNN teacher on MNIST, random strategy so every run trains the same candidates
 * under the same seeds) run inline, on 1 and 2 local worker processes, and on 2 `distillery
 * worker` processes through a Redis server this script starts. Every engine runs on 1 thread, so
 * the ratios show what more processes buy on this machine's cores. Times include what a user
 * waits for: workers starting, loading the data and computing the teacher's logits once each.
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

const ENTRY = `
const { commands } = await import(${JSON.stringify(join(ROOT, 'src/cli/commands.ts'))});
const { workerCommands } = await import(${JSON.stringify(join(ROOT, 'src/cli/worker-commands.ts'))});
if (!commands.some((c) => c.name === 'worker')) commands.push(...workerCommands);
const { main } = await import(${JSON.stringify(join(ROOT, 'src/cli/main.ts'))});
process.exitCode = await main(process.argv.slice(1));
`;

/** Starts a `distillery worker` process and resolves once it is connected. */
function startWorker(url: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', ENTRY, 'worker', '--redis', url, '--threads', '1', '--json'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (b: Buffer) => b.toString().includes('connected to') && resolve());
    child.on('exit', (code) => reject(new Error(`worker exited with ${code}`)));
  });
  return { child, ready };
}

interface Row { mode: string; seconds: number; complete: number; accuracy: number[] }

async function run(mode: string, extra: { workers?: number; executor?: string }): Promise<Row> {
  const dir = tempDir('distillery-bench-scale-');
  const config = writeConfig(dir, 'study.json', studyConfig());
  const t0 = performance.now();
  const s: StudySummary = await search({ config, store: join(dir, 'study.db'), ...extra });
  const seconds = (performance.now() - t0) / 1000;
  const accuracy = [...s.trials].sort((a, b) => a.number - b.number).map((t) => Number((t.objectives?.['accuracy'] ?? NaN).toFixed(4)));
  if (!json) process.stderr.write(`${mode.padEnd(16)} ${seconds.toFixed(1).padStart(6)} s  (${s.counts.complete} complete)\n`);
  return { mode, seconds, complete: s.counts.complete, accuracy };
}

const cores = availableParallelism();
const load = loadavg()[0]!;
if (!json) process.stderr.write(`${TRIALS} trials, ${cores} cores, load average ${load.toFixed(2)} at start\n`);
const rows: Row[] = [];
rows.push(await run('inline', {}));
rows.push(await run('pool, 1 worker', { workers: 1 }));
rows.push(await run('pool, 2 workers', { workers: 2 }));
const redis = await startRedis();
const workers = [startWorker(redis.url), startWorker(redis.url)];
try {
  await Promise.all(workers.map((w) => w.ready));
  rows.push(await run('redis, 2 workers', { executor: redis.url, workers: 2 }));
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
