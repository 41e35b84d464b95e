/**
 * Backend choice. Every TF.js backend line of distillery lives in src/engine/.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// tfjs-core's Node bundle registers no gradients; tfjs-layers' bundle carries them all.
import '@tensorflow/tfjs-layers';
import { getThreadsCount, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { availableParallelism } from 'node:os';
import { DistilleryError } from '../core/errors.ts';
import { registerWasmKernels, unregisterWasmKernels } from './kernels/register.ts';
import { createThreadedBackend } from './threads.ts';
import { loadNativeAddon, nativeUnavailableReason } from './native/addon.ts';
import { NATIVE_BACKEND, registerNativeBackend } from './native/backend.ts';

/** Which backend to run on; `auto` prefers the native pack when it is built, else wasm. */
export type BackendName = 'auto' | 'native' | 'wasm' | 'cpu' | 'node';

/** Options of {@link initEngine}. */
export interface EngineOptions {
  backend?: BackendName;
  /** wasm threads; default: all cores; 1 = single thread. */
  threads?: number;
  /**
   * wasm kernels: `distillery` (default) registers our conv/depthwise gradients, the fixed
   * MaxPoolGrad and fast transposed matmuls; `stock` leaves TF.js 4.22's as they are (for
   * comparison: conv nets cannot train there).
   */
  kernels?: 'distillery' | 'stock';
}

/** What actually runs: goes into every `done` event. */
export interface EngineInfo {
  backend: 'native' | 'wasm' | 'cpu' | 'node';
  threads: number;
  simd: boolean;
  /** One line per notable fact, e.g. a thread fallback or stock kernels. */
  notes: string[];
  /**
   * Set when `auto` wanted the native pack and runs on wasm instead: what that costs and how to
   * get the native engine, for a long job to say as it starts (also one of `notes`).
   */
  fallback?: string;
}

/** The one command that builds the native engine on Debian/Ubuntu (`npm rebuild NAME` reruns its install step, in a checkout or as a dependency). */
export const NATIVE_INSTALL = 'apt-get install libdnnl-dev && npm rebuild distillery';

/**
 * The note of a job that runs on wasm because the native pack is unavailable for `reason`:
 * what the user loses, measured on the quickstart (2 cores, the machine quiet), and the fix.
 *
 * @example
 * wasmFallbackNote('not built (oneDNN was not found at install)');
 * // 'native engine not built (…): using wasm, about 2.5x slower (the quickstart: 6 min 17 s against 2 min 32 s native on 2 cores); for the native engine: apt-get install libdnnl-dev && npm rebuild distillery'
 */
export function wasmFallbackNote(reason: string): string {
  const fix = reason.includes('DISTILLERY_NATIVE') ? 'unset DISTILLERY_NATIVE' : NATIVE_INSTALL;
  return `native engine ${reason}: using wasm, about 2.5x slower (the quickstart: 6 min 17 s against 2 min 32 s native on 2 cores); for the native engine: ${fix}`;
}

let current: EngineInfo | undefined;
/** Thread count the registered 'wasm' factory builds (1 = tfjs's own non-threaded loader). */
let wasmFactoryThreads = 1;
let stockWasmFactory: (() => tf.KernelBackend | Promise<tf.KernelBackend>) | undefined;

function useWasmFactory(threads: number, onError: (e: Error) => void): void {
  stockWasmFactory ??= tf.findBackendFactory('wasm') ?? undefined;
  if (!stockWasmFactory) {
    throw new DistilleryError('ENGINE_WASM_MISSING', 'the wasm backend is not registered', 'reinstall @tensorflow/tfjs-backend-wasm 4.22.0');
  }
  tf.removeBackend('wasm');
  if (threads > 1) {
    tf.registerBackend('wasm', async () => {
      try {
        return await createThreadedBackend(threads);
      } catch (e) {
        onError(e as Error);
        throw e;
      }
    }, 2);
  } else {
    setThreadsCount(1);
    tf.registerBackend('wasm', stockWasmFactory, 2);
  }
  wasmFactoryThreads = threads;
}

async function initWasm(opts: EngineOptions, notes: string[]): Promise<EngineInfo> {
  const want = opts.threads ?? availableParallelism();
  if (!Number.isInteger(want) || want < 1) {
    throw new DistilleryError('ENGINE_THREADS', `threads must be a positive integer, got ${String(opts.threads)}`,
      'pass threads: 1 for a single thread, or leave it out to use every core', 'threads');
  }
  if (opts.kernels === 'stock') {
    unregisterWasmKernels();
    notes.push('stock tfjs 4.22 wasm kernels: conv/depthwise gradients missing, MaxPoolGrad wrong on windows <= 0');
  } else {
    registerWasmKernels();
  }
  const alive = tf.engine().registry['wasm'] !== undefined;
  if (!alive || wasmFactoryThreads !== want) {
    let why: Error | undefined;
    useWasmFactory(want, (e) => { why = e; });
    if (!(await tf.setBackend('wasm'))) {
      if (want === 1) {
        throw new DistilleryError('ENGINE_WASM_INIT', `the wasm backend failed to start${why ? `: ${why.message}` : ''}`,
          'check that node_modules/@tensorflow/tfjs-backend-wasm holds its .wasm files, or use backend: cpu');
      }
      notes.push(`threads: fell back to 1 (${why?.message ?? 'threaded wasm failed to start'})`);
      useWasmFactory(1, () => undefined);
      if (!(await tf.setBackend('wasm'))) {
        throw new DistilleryError('ENGINE_WASM_INIT', 'the wasm backend failed to start', 'use backend: cpu');
      }
    }
  } else {
    await tf.setBackend('wasm');
  }
  await tf.ready();
  const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
  return { backend: 'wasm', threads: wasmFactoryThreads > 1 ? getThreadsCount() : 1, simd, notes };
}

/**
 * Whether `auto` picks the native pack when it is built: it covers every op of the project's
 * models and trains them at or above PyTorch's speed (bench:peer), against ~0.25x for wasm.
 */
const NATIVE_PREFERRED = true;

function initNative(opts: EngineOptions, notes: string[]): Promise<EngineInfo> | undefined {
  const addon = loadNativeAddon();
  if (!addon) return undefined;
  const threads = opts.threads ?? availableParallelism();
  addon.setThreads(threads);
  registerNativeBackend(addon);
  return (async () => {
    if (!(await tf.setBackend(NATIVE_BACKEND))) {
      throw new DistilleryError('ENGINE_NATIVE_INIT', 'the native backend failed to start', 'use backend: wasm', 'backend');
    }
    await tf.ready();
    notes.push(`oneDNN ${addon.info().onednn}`);
    return { backend: 'native', threads, simd: true, notes };
  })();
}

async function initNode(): Promise<EngineInfo> {
  // A variable specifier: tfjs-node is optional and never a dependency of distillery.
  const spec = '@tensorflow/tfjs-node';
  try {
    await import(spec);
  } catch (e) {
    throw new DistilleryError('ENGINE_NODE_MISSING', `backend 'node' needs @tensorflow/tfjs-node, which did not load (${(e as Error).message.split('\n')[0]})`,
      'npm install @tensorflow/tfjs-node@4.22.0 (it downloads libtensorflow), or use backend: wasm', 'backend');
  }
  if (!(await tf.setBackend('tensorflow'))) {
    throw new DistilleryError('ENGINE_NODE_INIT', 'the tfjs-node backend failed to start', 'use backend: wasm', 'backend');
  }
  return { backend: 'node', threads: availableParallelism(), simd: true, notes: [] };
}

/**
 * Picks and starts the TF.js backend. Calling it again with other options switches backend
 * (tensors made on the previous backend must be disposed first). wasm threads fall back to
 * one thread, with a note, when the threaded build cannot start.
 *
 * @example
 * const info = await initEngine({ backend: 'wasm', threads: 1 });
 * info; // { backend: 'wasm', threads: 1, simd: true, notes: [] }
 */
export async function initEngine(opts: EngineOptions = {}): Promise<EngineInfo> {
  const backend = opts.backend ?? 'auto';
  const notes: string[] = [];
  switch (backend) {
    case 'native': {
      const started = initNative(opts, notes);
      if (!started) {
        throw new DistilleryError('ENGINE_NATIVE_MISSING', `backend 'native': the native kernel pack is ${nativeUnavailableReason() ?? 'unavailable'}`,
          `on Debian/Ubuntu: ${NATIVE_INSTALL}; or use backend: wasm`, 'backend');
      }
      current = await started;
      break;
    }
    case 'auto': {
      const started = NATIVE_PREFERRED ? initNative(opts, notes) : undefined;
      if (started) {
        current = await started;
        break;
      }
      const fallback = NATIVE_PREFERRED ? wasmFallbackNote(nativeUnavailableReason() ?? 'unavailable') : undefined;
      if (fallback) notes.push(fallback);
      current = await initWasm(opts, notes);
      if (fallback) current.fallback = fallback;
      break;
    }
    case 'wasm':
      current = await initWasm(opts, notes);
      break;
    case 'cpu':
      await tf.setBackend('cpu');
      await tf.ready();
      // The cpu backend greets its first tensor with a banner pointing at tfjs-node; we
      // support that through backend: 'node', so the banner is noise in our output.
      (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
      current = { backend: 'cpu', threads: 1, simd: false, notes: ['cpu backend: pure JS, for reference only (30x-600x slower than wasm)'] };
      break;
    case 'node':
      current = await initNode();
      break;
    default:
      throw new DistilleryError('ENGINE_BACKEND', `unknown backend '${String(backend)}'; known: auto, native, wasm, cpu, node`,
        'pass backend: auto (default), native, wasm, cpu or node', 'backend');
  }
  return current;
}

/**
 * What {@link initEngine} last started; undefined before the first call.
 *
 * @example
 * engineInfo()?.threads; // 2
 */
export function engineInfo(): EngineInfo | undefined {
  return current ? { ...current, notes: [...current.notes] } : undefined;
}

/**
 * Stops the wasm backend's worker threads (they would keep a process alive) and forgets the
 * engine. The next {@link initEngine} starts afresh.
 *
 * @example
 * await disposeEngine();
 */
export async function disposeEngine(): Promise<void> {
  if (tf.engine().registryFactory['wasm'] && stockWasmFactory) {
    tf.removeBackend('wasm');
    setThreadsCount(1);
    tf.registerBackend('wasm', stockWasmFactory, 2);
    wasmFactoryThreads = 1;
  }
  current = undefined;
}
