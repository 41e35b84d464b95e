/**
 * The threaded-SIMD wasm build under Node. tfjs 4.22 turns threads off in Node
 * (tfjs#3830) because its loader hands Emscripten `blob:` URLs, which Node's Worker cannot
 * run. The Emscripten glue itself supports Node's worker_threads, so we load it ourselves
 * with plain file paths: the worker script is written once to the temp folder, and the
 * workers re-evaluate the glue from its file in the package.
 */
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Worker as NodeWorker } from 'node:worker_threads';
import type { WorkerOptions } from 'node:worker_threads';
import { BackendWasm, setThreadsCount, version_wasm } from '@tensorflow/tfjs-backend-wasm';
import { writeFileAtomic } from '../core/fs.ts';

const require = createRequire(import.meta.url);

/** The Emscripten module with the `tfjs` bridge BackendWasm expects. */
interface EmscriptenModule {
  cwrap(name: string, ret: string | null, args: string[]): (...a: unknown[]) => unknown;
  tfjs?: Record<string, unknown>;
  PThread?: { terminateAllThreads(): void; runningWorkers: { unref?(): void }[]; unusedWorkers: { unref?(): void }[] };
}

function wasmOutDir(): string {
  return join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'wasm-out');
}

/** Writes the pthread worker script where Node's Worker can load it (idempotent, atomic). */
function workerScript(dir: string): string {
  const { wasmWorkerContents } = require(join(dir, 'tfjs-backend-wasm-threaded-simd.worker.js')) as { wasmWorkerContents: string };
  // The script sits in a JS template literal, where its "\n" escapes became real newlines
  // inside string literals; tfjs undoes this the same way before making its blob.
  const text = wasmWorkerContents.replace(/\n/g, '\\n');
  const file = join(tmpdir(), `distillery-tfjs-wasm-${version_wasm}-${process.getuid?.() ?? 0}.worker.cjs`);
  if (!existsSync(file) || readFileSync(file, 'utf8') !== text) writeFileAtomic(file, text);
  return file;
}

/**
 * Emscripten's Node glue makes its pthreads with `new Worker(file)` through a global it sets
 * itself. Workers inherit the parent's execArgv by default: a loader such as tsx would be
 * loaded 8 times over, and flags like --input-type make the worker fail outright. The worker
 * script is plain CommonJS and needs none of them.
 */
class PthreadWorker extends NodeWorker {
  constructor(file: string | URL, options?: WorkerOptions) {
    super(file, { ...options, execArgv: [] });
  }
}

function installPthreadWorker(): void {
  const d = Object.getOwnPropertyDescriptor(globalThis, 'Worker');
  if (d?.get?.() === PthreadWorker) return;
  // The glue assigns global.Worker = worker_threads.Worker on start: keep ours in place.
  Object.defineProperty(globalThis, 'Worker', { configurable: true, get: () => PthreadWorker, set: () => undefined });
}

/**
 * Builds a BackendWasm on the threaded-SIMD binary with `threads` XNNPACK threads. Rejects
 * (never hangs: `timeoutMs`) when the runtime cannot start its workers.
 *
 * @example
 * tf.registerBackend('wasm', () => createThreadedBackend(2));
 */
export async function createThreadedBackend(threads: number, timeoutMs = 30_000): Promise<BackendWasm> {
  const dir = wasmOutDir();
  const glue = join(dir, 'tfjs-backend-wasm-threaded-simd.js');
  // Check what we can before starting: a worker that fails to load raises an uncaught error
  // in Emscripten's handler, which no caller could turn into a clean fallback.
  if (typeof SharedArrayBuffer !== 'function' || typeof Atomics !== 'object') throw new Error('no SharedArrayBuffer/Atomics in this runtime');
  try {
    new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
  } catch {
    throw new Error('this runtime cannot share wasm memory between threads');
  }
  for (const f of [glue, join(dir, 'tfjs-backend-wasm-threaded-simd.wasm')]) {
    if (!existsSync(f)) throw new Error(`missing ${f}`);
  }
  const factory = require(glue) as (cfg: object) => Promise<EmscriptenModule>;
  const worker = workerScript(dir);
  installPthreadWorker();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`threaded wasm did not start within ${timeoutMs} ms`)), timeoutMs);
  });
  let failure: Error | undefined;
  // The C side caps the XNNPACK pool at emscripten_num_logical_cores() / 2 (it assumes
  // hyper-threading), read once from os.cpus() while the module starts: report 2 * threads
  // logical cores for that moment only, so the pool gets exactly the threads asked for.
  const realCpus = os.cpus;
  const fake = realCpus.call(os);
  while (fake.length < 2 * threads) fake.push(fake[0]!);
  os.cpus = () => fake.slice(0, Math.max(2 * threads, 1));
  const module = await Promise.race([
    factory({
      locateFile: (path: string, prefix: string) => (path.endsWith('.worker.js') ? worker : prefix + path),
      mainScriptUrlOrBlob: glue,
      onAbort: (what: unknown) => { failure = new Error(`threaded wasm aborted: ${String(what)}`); },
    }),
    timeout,
  ]).finally(() => {
    clearTimeout(timer);
    os.cpus = realCpus;
  });
  if (failure) throw failure;
  // The same bridge tfjs's own loader installs.
  module.tfjs = {
    init: module.cwrap('init', null, []),
    initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: module.cwrap('get_threads_count', 'number', []),
    registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: module.cwrap('dispose_data', null, ['number']),
    dispose: module.cwrap('dispose', null, []),
  };
  setThreadsCount(threads);
  const backend = new BackendWasm(module as never);
  // Emscripten refs every worker that runs a pthread, and XNNPACK's pool threads run for
  // the backend's lifetime: without this a script would never exit on its own.
  for (const w of [...(module.PThread?.runningWorkers ?? []), ...(module.PThread?.unusedWorkers ?? [])]) w.unref?.();
  return backend;
}
