import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = join(ROOT, 'bin/distillery.js');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  events: Record<string, unknown>[];
}

/** Run the real CLI in a child process and collect its output and, with `--json`, its events (every stdout line must be JSON). */
export function runCli(args: string[], cwd: string = ROOT): CliRun {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, events: args.includes('--json') ? parseEvents(r.stdout) : [] };
}

/** Start the CLI in the background (for kill -9 tests). */
export function startCli(args: string[], cwd: string = ROOT) {
  return spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, FORCE_COLOR: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
}

export function parseEvents(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

export function tempDir(prefix = 'distillery-e2e-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Write a config file into `dir` and return its path. */
export function writeConfig(dir: string, name: string, config: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

/** A small, quick MNIST config (real data, a subset). */
export function tinyMnistConfig(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'tiny',
    seed: 3,
    data: { source: 'mnist', limit: 3000, testLimit: 1000, validation: 500, normalize: 'scale' },
    model: { blocks: [{ type: 'flatten' }, { type: 'dense', units: 64, activation: 'relu' }, { type: 'dense', units: 10 }] },
    train: { epochs: 2, batchSize: 64, optimizer: { type: 'adam', lr: 0.003 } },
    ...overrides,
  };
}

/**
 * A small real search config: MLPs distilled from the committed ONNX teacher on an MNIST subset,
 * one epoch each; MACs = 794·units, so `macs<=30000` admits 8, 16 and 32 units and rejects 64
 * and 128 (recorded infeasible, never trained). Keys in `overrides` replace the defaults.
 */
export function tinySearchConfig(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'tiny',
    seed: 2,
    backend: 'wasm',
    threads: 1,
    data: { source: 'mnist', limit: 1000, validation: 200, normalize: 'scale' },
    teacher: { type: 'onnx', path: join(ROOT, 'examples/teachers/mnist-cnn.onnx'), normalize: { mean: 33.3285, std: 78.5655 } },
    cache: { enabled: false },
    space: {
      template: {
        model: { blocks: [{ type: 'flatten' }, { type: 'dense', units: { choice: [8, 16, 32, 64, 128] }, activation: 'relu' }, { type: 'dense', units: 10 }] },
        train: { lr: { float: [0.002, 0.01], log: true }, temperature: { choice: [2, 4] }, alpha: { choice: [0.5, 0.9] } },
      },
    },
    train: { epochs: 1, batchSize: 50, optimizer: { type: 'adam' } },
    strategy: { name: 'random' },
    objectives: [{ metric: 'accuracy', direction: 'max' }, { metric: 'macs', direction: 'min' }],
    limits: ['macs<=30000'],
    budget: { trials: 4, epochs: 1 },
    ...overrides,
  };
}
