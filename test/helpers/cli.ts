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
