import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { DistilleryError } from '../core/errors.ts';
import { PAGE_HTML, PAGE_JS } from './browser-page.ts';

/**
 * Where the page is served from. Every request to it is answered by the session itself
 * (playwright's request interception), so nothing listens on a port and nothing reaches the
 * network; `127.0.0.1` makes the page a secure context, which cross-origin isolation (and with
 * it a microsecond `performance.now()`) requires.
 */
export const PAGE_ORIGIN = 'http://127.0.0.1:9';

/** Options of {@link openBrowser}. */
export interface BrowserOptions {
  /** Threads of TF.js wasm in the page; default 1. */
  threads?: number | undefined;
  /**
   * A running Chromium to drive over the DevTools protocol instead of starting one, e.g.
   * `http://127.0.0.1:9222` (a phone's Chrome forwarded with `adb forward tcp:9222
   * localabstract:chrome_devtools_remote`). Default: `DISTILLERY_BROWSER_CDP`, else a local
   * headless Chromium is started.
   */
  endpoint?: string | undefined;
  /** The Chromium to start; default `DISTILLERY_CHROMIUM`, else `/usr/bin/chromium`. */
  executable?: string | undefined;
}

/** A TF.js model as the files a web app would fetch: `model.json` and one weights file. */
export interface WebModel {
  modelJson: string;
  weights: Uint8Array;
}

/** What the page's timing loop returns. */
export interface BrowserTiming {
  /** Timed runs, ms. */
  times: number[];
  /** Untimed runs the page made before it judged the model steady. */
  warmup: number;
}

/** Chromium with distillery's latency page loaded, TF.js on wasm. */
export interface BrowserSession {
  /** What the page reports: the TF.js backend, its threads, whether the page is cross-origin isolated, the browser. */
  readonly info: { backend: string; threads: number; isolated: boolean; userAgent: string };
  /** Serves a model to the page and loads it; returns its id. */
  load(model: WebModel): Promise<string>;
  /** Makes a random (seeded) or given input of a loaded model at a batch size; returns its key. */
  prepare(id: string, batch: number, seed: number, data?: Float32Array): Promise<string>;
  /** Times the model on a prepared input inside the page (see {@link PAGE_JS}). */
  time(key: string, id: string, opts: { warmup: number; maxWarmup: number; iterations: number; tolerance: number }): Promise<BrowserTiming>;
  /** The model's output on a prepared input, for parity checks. */
  predict(key: string, id: string): Promise<{ data: Float32Array; shape: number[] }>;
  unload(id: string): Promise<void>;
  close(): Promise<void>;
}

const require = createRequire(import.meta.url);

function tfjsFile(pkg: string, file: string): string {
  return join(dirname(require.resolve(`${pkg}/package.json`)), 'dist', file);
}

/** The files the page fetches under `/tfjs/`: the TF.js bundles and the wasm binaries. */
function assets(): Map<string, string> {
  const files = new Map<string, string>([
    ['tf-core.min.js', tfjsFile('@tensorflow/tfjs-core', 'tf-core.min.js')],
    ['tf-layers.min.js', tfjsFile('@tensorflow/tfjs-layers', 'tf-layers.min.js')],
    ['tf-backend-wasm.min.js', tfjsFile('@tensorflow/tfjs-backend-wasm', 'tf-backend-wasm.min.js')],
  ]);
  for (const w of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm']) files.set(w, tfjsFile('@tensorflow/tfjs-backend-wasm', w));
  return files;
}

/** The Chromium distillery starts: `DISTILLERY_CHROMIUM`, else Debian's. */
export function chromiumPath(): string {
  return process.env['DISTILLERY_CHROMIUM'] ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p)) ?? 'chromium';
}

/**
 * A TF.js model's web files, in memory, as `model.save('file://…')` would write them.
 *
 * @example
 * const web = await webModelOf(model);
 * JSON.parse(web.modelJson).weightsManifest[0].paths; // ['weights.bin']
 */
export async function webModelOf(model: tfl.LayersModel): Promise<WebModel> {
  let art: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (a) => {
    art = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  const a = art!;
  const data = a.weightData === undefined ? new ArrayBuffer(0) : Array.isArray(a.weightData) ? concat(a.weightData) : a.weightData;
  const json = { modelTopology: a.modelTopology, format: a.format, generatedBy: a.generatedBy, convertedBy: a.convertedBy, weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs ?? [] }] };
  return { modelJson: JSON.stringify(json), weights: new Uint8Array(data) };
}

function concat(bufs: ArrayBuffer[]): ArrayBuffer {
  const out = new Uint8Array(bufs.reduce((s, b) => s + b.byteLength, 0));
  let o = 0;
  for (const b of bufs) {
    out.set(new Uint8Array(b), o);
    o += b.byteLength;
  }
  return out.buffer;
}

/**
 * Starts headless Chromium (or connects to a running one over the DevTools protocol), opens
 * distillery's latency page with TF.js on wasm and the given threads, and returns a session
 * that loads and times models in it. Close it when done. Throws `BROWSER_UNAVAILABLE` when
 * playwright-core or Chromium cannot be found or started, naming what to install.
 *
 * @example
 * const b = await openBrowser({ threads: 1 });
 * const id = await b.load(await webModelOf(model));
 * const key = await b.prepare(id, 1, 1);
 * const { times } = await b.time(key, id, { warmup: 10, maxWarmup: 200, iterations: 100, tolerance: 0.05 });
 * await b.close();
 */
export async function openBrowser(opts: BrowserOptions = {}): Promise<BrowserSession> {
  let pw: typeof import('playwright-core');
  try {
    pw = await import('playwright-core');
  } catch (e) {
    throw new DistilleryError('BROWSER_UNAVAILABLE', `the browser runtime needs playwright-core (${(e as Error).message.split('\n')[0]})`, 'npm install playwright-core@1.65.1 (it drives a Chromium you have; it downloads nothing)', '--runtime');
  }
  const endpoint = opts.endpoint ?? process.env['DISTILLERY_BROWSER_CDP'];
  const exe = opts.executable ?? chromiumPath();
  let browser: import('playwright-core').Browser;
  try {
    browser = endpoint
      ? await pw.chromium.connectOverCDP(endpoint, { timeout: 30_000 })
      : await pw.chromium.launch({
          executablePath: exe,
          headless: true,
          // Root in containers needs --no-sandbox; the rest keep the browser from reaching out or
          // doing background work while it is timed.
          args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-background-timer-throttling', '--disable-renderer-backgrounding'],
        });
  } catch (e) {
    const what = endpoint ? `the Chromium at ${endpoint}` : exe;
    throw new DistilleryError('BROWSER_UNAVAILABLE', `cannot start ${what} (${(e as Error).message.split('\n')[0]})`, endpoint ? 'start Chrome with --remote-debugging-port=9222 and forward the port' : 'apt-get install chromium, or set DISTILLERY_CHROMIUM to a Chromium binary', '--runtime');
  }
  const context = endpoint ? (browser.contexts()[0] ?? (await browser.newContext())) : await browser.newContext();
  const page = await context.newPage();
  const files = assets();
  const served = new Map<string, WebModel>();
  // Cross-origin isolation: a 5 µs performance.now() instead of 100 µs, and SharedArrayBuffer for wasm threads.
  const isolation = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp', 'Cross-Origin-Resource-Policy': 'same-origin' };
  await page.route(`${PAGE_ORIGIN}/**`, async (route) => {
    const path = new URL(route.request().url()).pathname;
    const ok = (body: string | Buffer, contentType: string) => route.fulfill({ status: 200, body, contentType, headers: isolation });
    if (path === '/' || path === '/index.html') return ok(PAGE_HTML, 'text/html');
    if (path === '/page.js') return ok(PAGE_JS, 'text/javascript');
    const asset = path.startsWith('/tfjs/') ? files.get(path.slice(6)) : undefined;
    if (asset) return ok(readFileSync(asset), asset.endsWith('.wasm') ? 'application/wasm' : 'text/javascript');
    const m = /^\/models\/([^/]+)\/(model\.json|weights\.bin)$/.exec(path);
    const model = m ? served.get(m[1]!) : undefined;
    if (model) return m![2] === 'model.json' ? ok(model.modelJson, 'application/json') : ok(Buffer.from(model.weights), 'application/octet-stream');
    return route.fulfill({ status: 404, body: 'not found', headers: isolation });
  });
  // Anything else the page might ask for is refused: the measurement never touches the network.
  await page.route((u) => !u.href.startsWith(PAGE_ORIGIN), (route) => route.abort());
  let info: BrowserSession['info'];
  try {
    await page.goto(`${PAGE_ORIGIN}/`);
    info = await page.evaluate(([t]) => (window as unknown as { distillery: { init(b: string, t: number): Promise<BrowserSession['info']> } }).distillery.init('wasm', t!), [opts.threads ?? 1]);
  } catch (e) {
    await browser.close();
    throw new DistilleryError('BROWSER_UNAVAILABLE', `the latency page did not start in Chromium (${(e as Error).message.split('\n')[0]})`, 'check that the Chromium is recent (WebAssembly SIMD) and not blocked by a policy', '--runtime');
  }
  let next = 0;
  type Api = Record<string, (...a: unknown[]) => unknown>;
  const call = <T>(fn: string, ...args: unknown[]): Promise<T> =>
    page.evaluate(([f, a]) => ((window as unknown as { distillery: Api }).distillery[f as string]!(...(a as unknown[]))), [fn, args] as const) as Promise<T>;
  return {
    info,
    async load(model) {
      const id = `m${next++}`;
      served.set(id, model);
      await call('load', id);
      return id;
    },
    prepare: (id, batch, seed, data) => call<string>('prepare', id, batch, seed, data ? Array.from(data) : null),
    time: (key, id, o) => call<BrowserTiming>('time', key, id, o.warmup, o.maxWarmup, o.iterations, o.tolerance),
    async predict(key, id) {
      const r = await call<{ data: number[]; shape: number[] }>('predict', key, id);
      return { data: Float32Array.from(r.data), shape: r.shape };
    },
    async unload(id) {
      await call('unload', id);
      served.delete(id);
    },
    async close() {
      // A browser we connected to is someone else's: close our page only.
      if (endpoint) await page.close();
      else await browser.close();
    },
  };
}
