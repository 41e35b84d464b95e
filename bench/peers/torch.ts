/**
 * Runs the PyTorch peer (torch_peer.py) as a long-lived child: one JSON command per line in,
 * one JSON answer per line out, so that its rounds can alternate with distillery's.
 */
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { assert } from '../../src/core/errors.ts';
import type { ResolvedModelSpec } from '../../src/models/index.ts';

/** What the peer says about itself. */
export interface TorchInfo {
  torch: string;
  threads: number;
  blas: string;
  libs: string[];
  omp_wait_policy: string | null;
  matmul_gflops_1024: number;
  /** The OpenBLAS library preloaded into the peer, when one was found. */
  preload?: string;
}

/** One timed round of the peer. */
export interface TorchRound {
  ms_per_step: number;
  steps: number;
  warmup: number;
  params: number;
  loss: number;
}

/** Where Debian-like systems keep OpenBLAS; the first that exists is preloaded. */
const OPENBLAS = [
  '/usr/lib/x86_64-linux-gnu/libopenblas.so.0',
  '/usr/lib/aarch64-linux-gnu/libopenblas.so.0',
  '/usr/lib64/libopenblas.so.0',
  '/usr/lib/libopenblas.so.0',
];

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'torch_peer.py');

/**
 * The peer's environment: `threads` everywhere (torch, OpenMP, OpenBLAS), passive OpenMP
 * waiting (a spinning idle peer would steal a core from distillery's turn), and OpenBLAS
 * preloaded: Debian's torch links libblas.so.3, which is the 17x slower reference BLAS unless
 * the alternatives point at OpenBLAS; a preload wins either way.
 *
 * @example
 * peerEnv(2).OMP_WAIT_POLICY; // 'PASSIVE'
 */
export function peerEnv(threads: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    OMP_WAIT_POLICY: 'PASSIVE',
    OMP_NUM_THREADS: String(threads),
    OPENBLAS_NUM_THREADS: String(threads),
    PEER_THREADS: String(threads),
  };
  const blas = OPENBLAS.find((p) => existsSync(p));
  if (blas) env['LD_PRELOAD'] = [blas, process.env['LD_PRELOAD']].filter(Boolean).join(':');
  return env;
}

/**
 * A running PyTorch peer.
 *
 * @example
 * const peer = await TorchPeer.start(2);
 * if (typeof peer !== 'string') {
 *   const r = await peer.round('mlp', resolvedSpec(mlp), 128, 2, 20); // r.ms_per_step
 *   peer.close();
 * }
 */
export class TorchPeer {
  private readonly waiting: Array<(line: string) => void> = [];
  private stderr = '';
  private exited: string | undefined;
  private about: TorchInfo | undefined;

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {}

  /** Versions, BLAS, threads and a 1024^3 matmul speed of the peer, as it reported them. */
  get info(): TorchInfo {
    assert(this.about !== undefined, () => 'TorchPeer.info read before start() finished');
    return this.about;
  }

  /**
   * Starts the peer with `/usr/bin/python3` (Debian's torch loads there; the python3 first on
   * PATH may be another build) or `DISTILLERY_PEER_PYTHON`. Returns the reason as a string when
   * there is no usable PyTorch.
   */
  static async start(threads: number): Promise<TorchPeer | string> {
    const python = process.env['DISTILLERY_PEER_PYTHON'] ?? '/usr/bin/python3';
    if (!existsSync(python)) return `${python} not found (apt-get install python3-torch libopenblas0, or set DISTILLERY_PEER_PYTHON)`;
    const env = peerEnv(threads);
    const child = spawn(python, [SCRIPT, '--serve'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const peer = new TorchPeer(child);
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (l) => peer.waiting.shift()?.(l));
    child.stderr.on('data', (d: Buffer) => {
      peer.stderr = (peer.stderr + d.toString()).slice(-4000);
    });
    child.on('exit', (code, signal) => {
      peer.exited = `exited (${signal ?? code})`;
      for (const w of peer.waiting.splice(0)) w(JSON.stringify({ error: peer.lastError() }));
    });
    child.on('error', (e) => {
      peer.exited = e.message;
      for (const w of peer.waiting.splice(0)) w(JSON.stringify({ error: peer.lastError() }));
    });
    const info = await peer.ask<TorchInfo>({ cmd: 'info' });
    if (typeof info === 'string') {
      peer.close();
      return `PyTorch peer did not start: ${info}`;
    }
    const preload = env['LD_PRELOAD']?.split(':')[0];
    if (preload) info.preload = preload;
    peer.about = info;
    return peer;
  }

  /** Trains the model of `spec` for `warmup` untimed and `steps` timed steps; a string on failure. */
  round(name: string, spec: ResolvedModelSpec, batch: number, warmup: number, steps: number): Promise<TorchRound | string> {
    return this.ask<TorchRound>({ cmd: 'round', name, spec, batch, warmup, steps, seed: 1 });
  }

  /** Trains bench:text's transformer (torch_text.py) with the options of `cmd`; a string on failure. */
  textRound(cmd: Record<string, number | string>): Promise<TorchRound | string> {
    return this.ask<TorchRound>({ cmd: 'text_round', ...cmd });
  }

  /** Ends the child. */
  close(): void {
    if (this.exited === undefined) {
      this.child.stdin.end(JSON.stringify({ cmd: 'quit' }) + '\n');
      this.exited = 'closed';
    }
  }

  private lastError(): string {
    const last = this.stderr.trim().split('\n').slice(-1)[0];
    return `${this.exited ?? 'failed'}${last ? `: ${last}` : ''}`;
  }

  private ask<T>(cmd: object): Promise<T | string> {
    if (this.exited !== undefined) return Promise.resolve(this.lastError());
    return new Promise((resolve) => {
      this.waiting.push((line) => {
        try {
          const v = JSON.parse(line) as T & { error?: string };
          resolve(v.error !== undefined ? v.error : v);
        } catch {
          resolve(`unreadable answer: ${line.slice(0, 200)}`);
        }
      });
      this.child.stdin.write(JSON.stringify(cmd) + '\n');
    });
  }
}
