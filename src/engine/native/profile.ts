import * as tf from '@tensorflow/tfjs-core';
import { assert } from '../../core/errors.ts';
import { NATIVE_BACKEND } from './backend.ts';

/** Time and calls of one kernel (or one kernel at one set of input shapes) in a profile. */
export interface KernelStat {
  /** The kernel name (`BatchMatMul`), or with `byShape` the name and input shapes (`BatchMatMul 128x784 784x1200`). */
  kernel: string;
  /** Total milliseconds spent inside the kernel. */
  ms: number;
  calls: number;
  /** Fraction of the wall time. */
  share: number;
  /**
   * On the native backend: `native` for a kernel of the pack, `js` for a stock TF.js cpu kernel
   * it still borrows (those run at pure-JS speed). Absent on other backends.
   */
  impl?: 'native' | 'js';
}

/** What a {@link KernelRecorder} (or {@link profileKernels}) measured. */
export interface KernelProfile {
  /** The TF.js backend the kernels ran on. */
  backend: string;
  /** Wall time of the whole run, profiler overhead included. */
  wallMs: number;
  /** Sum over the kernels: the rest of `wallMs` is JS outside kernels (tape, tidy, the trainer) and the profiler's own cost. */
  kernelMs: number;
  /** Sorted by time, largest first. */
  kernels: KernelStat[];
}

/** Options of {@link KernelRecorder.result} and {@link profileKernels}. */
export interface ProfileOptions {
  /** Split each kernel by its input shapes: which matmul is the slow one. */
  byShape?: boolean;
}

/**
 * Records the kernels the engine runs between {@link KernelRecorder.start} and
 * {@link KernelRecorder.stop}, e.g. from a trainer's batch events, so that warm-up steps stay
 * out of the profile. It switches on the same engine state `tf.profile` uses (so only one can
 * record at a time); every kernel is timed by the backend, forward and gradient alike.
 *
 * @example
 * const rec = new KernelRecorder();
 * await fit(model, data, { ...opts, reportEvery: 1, reporter: (e) => {
 *   if (e.event === 'batch' && e.batch === 2) rec.start();
 *   if (e.event === 'batch' && e.batch === 12) rec.stop();
 * } });
 * console.log(formatKernelProfile(await rec.result(), { per: 10 }));
 */
export class KernelRecorder {
  private kernels: KernelInfo[] | undefined;
  private t0 = 0;
  private wallMs = 0;
  private backend = '';

  /** Starts recording; throws if a profile (this or `tf.profile`) is already recording. */
  start(): void {
    const state = tf.engine().state;
    assert(!state.profiling, () => 'a kernel profile is already recording (tf.profile or another KernelRecorder)');
    state.activeProfile.kernels = [];
    state.profiling = true;
    this.backend = tf.getBackend();
    this.t0 = performance.now();
  }

  /** Stops recording (synchronous: safe inside a reporter); {@link result} sums what it saw. */
  stop(): void {
    const state = tf.engine().state;
    if (!state.profiling) return;
    this.wallMs = performance.now() - this.t0;
    state.profiling = false;
    this.kernels = state.activeProfile.kernels;
    state.activeProfile.kernels = [];
  }

  /** Per-kernel totals of the recording, largest first; stops it first if it still runs. */
  async result(opts: ProfileOptions = {}): Promise<KernelProfile> {
    if (this.kernels === undefined) this.stop();
    const byName = new Map<string, { ms: number; calls: number }>();
    let kernelMs = 0;
    for (const k of this.kernels ?? []) {
      // Custom-gradient scopes ('fusedMatMul__op', 'unnamed scope') go through the kernel path
      // too, but they wrap kernels that are recorded on their own: only registered kernels count.
      if (!isKernel(k.name, this.backend)) continue;
      const t = await k.kernelTimeMs;
      // an object here means the backend had no timer for it
      const ms = typeof t === 'number' ? t : 0;
      const key = opts.byShape ? `${k.name} ${k.inputShapes.map(shapeText).join(' ')}` : k.name;
      const s = byName.get(key) ?? { ms: 0, calls: 0 };
      s.ms += ms;
      s.calls++;
      byName.set(key, s);
      kernelMs += ms;
    }
    const wallMs = this.wallMs;
    const kernels = [...byName].map(([kernel, s]) => {
      const stat: KernelStat = { kernel, ms: s.ms, calls: s.calls, share: wallMs > 0 ? s.ms / wallMs : 0 };
      if (this.backend === NATIVE_BACKEND) stat.impl = isStockCpu(kernel.split(' ')[0]!) ? 'js' : 'native';
      return stat;
    });
    kernels.sort((a, b) => b.ms - a.ms || a.kernel.localeCompare(b.kernel));
    return { backend: this.backend, wallMs, kernelMs, kernels };
  }
}

type KernelInfo = ReturnType<typeof tf.engine>['state']['activeProfile']['kernels'][number];

const kernelNames = new Map<string, boolean>();
function isKernel(name: string, backend: string): boolean {
  const key = `${backend}/${name}`;
  let known = kernelNames.get(key);
  if (known === undefined) kernelNames.set(key, (known = tf.getKernel(name, backend) !== undefined));
  return known;
}

/** The native backend copies the stock cpu kernels it does not replace: same function object. */
function isStockCpu(name: string): boolean {
  const ours = tf.getKernel(name, NATIVE_BACKEND);
  return ours !== undefined && ours.kernelFunc === tf.getKernel(name, 'cpu')?.kernelFunc;
}

/**
 * Runs `fn` (sync or async; e.g. K training steps) while a {@link KernelRecorder} records,
 * and sums the time of every kernel the engine dispatched, forward and gradient alike, on
 * whatever backend is current. The profiler adds a few microseconds per kernel: read shares
 * rather than absolute step times.
 *
 * @example
 * const p = await profileKernels(() => trainSteps(10));
 * console.log(formatKernelProfile(p, { top: 15, per: 10 })); // per-step ms of each kernel
 */
export async function profileKernels(fn: () => unknown, opts: ProfileOptions = {}): Promise<KernelProfile> {
  const rec = new KernelRecorder();
  rec.start();
  try {
    await fn();
  } finally {
    rec.stop();
  }
  return rec.result(opts);
}

function shapeText(s: number[] | null): string {
  return s === null ? '-' : s.length === 0 ? 'scalar' : s.join('x');
}

/** Options of {@link formatKernelProfile}. */
export interface FormatProfileOptions {
  /** Rows to show; the rest are summed into one line. Default 20. */
  top?: number;
  /** Divide times and calls by this (e.g. the number of training steps) to show them per step. */
  per?: number;
}

/**
 * A fixed-width table of a profile: kernel, ms, share of the wall time, calls, on the native
 * backend whether each kernel is native or stock JS, then lines for the JS outside kernels and
 * (native) the total of the stock JS kernels.
 *
 * @example
 * formatKernelProfile(p, { top: 10, per: 5 });
 * // kernel                      ms/step   share  calls/step
 * // BatchMatMul                   12.31   41.0%           6
 */
export function formatKernelProfile(p: KernelProfile, opts: FormatProfileOptions = {}): string {
  const top = opts.top ?? 20;
  const per = opts.per ?? 1;
  const unit = per === 1 ? '' : '/step';
  const impl = p.kernels.some((k) => k.impl !== undefined);
  const width = Math.max(24, ...p.kernels.slice(0, top).map((k) => k.kernel.length));
  const pct = (ms: number): string => `${((100 * ms) / Math.max(p.wallMs, 1e-9)).toFixed(1)}%`;
  const row = (name: string, ms: number, calls: number | string, tag = ''): string =>
    `${name.padEnd(width)} ${(ms / per).toFixed(2).padStart(10)} ${pct(ms).padStart(7)} ${(typeof calls === 'number' ? fmtCalls(calls / per) : calls).padStart(11)}${impl ? `  ${tag}` : ''}`.trimEnd();
  const lines = [`${'kernel'.padEnd(width)} ${`ms${unit}`.padStart(10)} ${'share'.padStart(7)} ${`calls${unit}`.padStart(11)}${impl ? '  impl' : ''}`];
  for (const k of p.kernels.slice(0, top)) lines.push(row(k.kernel, k.ms, k.calls, k.impl));
  const rest = p.kernels.slice(top);
  const sum = (ks: KernelStat[], f: (k: KernelStat) => number): number => ks.reduce((a, k) => a + f(k), 0);
  if (rest.length > 0) lines.push(row(`(${rest.length} more kernels)`, sum(rest, (k) => k.ms), sum(rest, (k) => k.calls)));
  lines.push(row('(JS outside kernels)', Math.max(0, p.wallMs - p.kernelMs), ''));
  if (impl) {
    const js = p.kernels.filter((k) => k.impl === 'js');
    lines.push(row(`(stock JS kernels: ${js.length})`, sum(js, (k) => k.ms), sum(js, (k) => k.calls), 'js'));
  }
  lines.push(row(`total on ${p.backend}`, p.wallMs, sum(p.kernels, (k) => k.calls)));
  return lines.join('\n');
}

function fmtCalls(c: number): string {
  return Number.isInteger(c) ? String(c) : c.toFixed(1);
}
