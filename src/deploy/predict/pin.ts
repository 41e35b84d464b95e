import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Options of {@link pinMainThread}. */
export interface PinOptions {
  /** The core the main thread is kept on. */
  cpu: number;
  /**
   * Also run the main thread under round-robin real-time scheduling (`chrt -r`), so other
   * processes' jobs no longer preempt it mid-run on its core. Round-robin, never FIFO: a FIFO
   * thread that spins starves the helper threads node itself needs (GC, I/O), and the machine
   * locks up.
   */
  realtime?: boolean;
  /** The real-time priority (1-99); default 50. */
  priority?: number;
}

/** What {@link pinMainThread} managed, and why not where it did not. */
export interface PinResult {
  /** The thread id that was pinned (the main thread's: on Linux, the process id). */
  tid: number;
  pinned: boolean;
  realtime: boolean;
  /** One line per step that could not be done, saying why (empty when all went through). */
  notes: string[];
}

function run(cmd: string, args: string[]): { ok: boolean; why: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) return { ok: false, why: `${cmd} not available (${r.error.message})` };
  if (r.status !== 0) return { ok: false, why: `${cmd} ${args.join(' ')}: ${(r.stderr || r.stdout || `exit ${r.status}`).trim().split('\n')[0]}` };
  return { ok: true, why: '' };
}

/**
 * Keeps the calling process's main thread (the one that times models: TF.js wasm and
 * onnxruntime with 1 thread both compute on it) on one core, and optionally runs it at a
 * round-robin real-time priority, leaving node's helper threads free to run on the other cores.
 * Pinning the whole process (`taskset -c 1 node …`) would put those helpers on the timing
 * core, where each garbage collection or I/O callback lengthens the run it lands in. Linux
 * only, through util-linux's `taskset -p` and `chrt -p` on the thread id; where a step is not
 * permitted (no CAP_SYS_NICE, no real-time budget in the container) or the tools are missing,
 * it is skipped with a note, and timing goes on unpinned.
 *
 * @example
 * const pin = pinMainThread({ cpu: 1, realtime: true });
 * if (pin.notes.length) console.log(pin.notes.join('\n'));
 */
export function pinMainThread(opts: PinOptions): PinResult {
  const tid = process.pid;
  const notes: string[] = [];
  if (process.platform !== 'linux') return { tid, pinned: false, realtime: false, notes: [`pinning needs Linux (this is ${process.platform}); timing unpinned`] };
  // the main thread's id is the process id; its entry in /proc/self/task says it is a thread of ours
  if (!existsSync(`/proc/self/task/${tid}`)) return { tid, pinned: false, realtime: false, notes: [`/proc/self/task/${tid} not found; timing unpinned`] };
  const a = run('taskset', ['-p', '-c', String(opts.cpu), String(tid)]);
  if (!a.ok) notes.push(`not pinned to core ${opts.cpu}: ${a.why}`);
  let realtime = false;
  if (opts.realtime) {
    const prio = Math.min(99, Math.max(1, Math.round(opts.priority ?? 50)));
    const c = run('chrt', ['-r', '-p', String(prio), String(tid)]);
    realtime = c.ok;
    if (!c.ok) notes.push(`not real-time: ${c.why}`);
  }
  return { tid, pinned: a.ok, realtime, notes };
}
