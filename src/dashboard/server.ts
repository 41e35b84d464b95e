import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DistilleryError } from '../core/errors.ts';
import { openStore } from '../store/index.ts';
import type { Store } from '../store/index.ts';
import { listStudiesView, studyMetricsView, studyView, trialDetail, trialsView } from './api.ts';
import { checkToken, isLoopback, tokenCookie } from './auth.ts';
import { LiveHub } from './hub.ts';
import { defaultWebRoot, loadStaticFiles } from './static.ts';
import type { StaticFile } from './static.ts';

/** Options of {@link startDashboard}. */
export interface DashboardOptions {
  /** The study store (SQLite file); opened read-only. */
  store: string;
  /** Interface to bind; default `127.0.0.1`. Any other than loopback requires a token. */
  host?: string;
  /** Port; default 8765, 0 for any free one. */
  port?: number;
  /** Token the API and page require; generated when the host is not loopback and none is given. */
  token?: string;
  /** Folder of the built page; default `dist/dashboard/web` of this package. */
  webRoot?: string;
  /** How often the live feed polls the store, in ms (default 500). */
  pollMs?: number;
}

/** A running dashboard. */
export interface Dashboard {
  /** The page's address, with `?token=` when one is required. */
  url: string;
  host: string;
  port: number;
  token: string | undefined;
  close(): Promise<void>;
}

// `default-src 'self'`: the page loads its script, styles and data only from this server
// (no CDN, no inline script); uPlot styles elements through the DOM, which CSP allows.
const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': "default-src 'self'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  // the token may be in the page's URL: never send it on as a referrer
  'Referrer-Policy': 'no-referrer',
};

function send(res: ServerResponse, status: number, body: string | Buffer, type: string, head: boolean, extra: Record<string, string> = {}): void {
  const buf = typeof body === 'string' ? Buffer.from(body) : body;
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': String(buf.length), 'Cache-Control': 'no-store', ...extra });
  res.end(head ? undefined : buf);
}

function json(res: ServerResponse, status: number, value: unknown, head: boolean): void {
  send(res, status, JSON.stringify(value), 'application/json; charset=utf-8', head);
}

function fail(res: ServerResponse, status: number, code: string, message: string, head: boolean, extra: Record<string, string> = {}): void {
  const buf = Buffer.from(JSON.stringify({ error: { code, message } }));
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(buf.length), 'Cache-Control': 'no-store', ...extra });
  res.end(head ? undefined : buf);
}

/**
 * The request's path, or undefined for anything that is not a plain absolute path inside the
 * site: a protocol-relative or absolute URL, `..` (raw or percent-encoded), backslashes, NUL.
 *
 * @example
 * safePath('/assets/app.js?v=1'); // '/assets/app.js'
 * safePath('/%2e%2e/package.json'); // undefined
 */
export function safePath(rawUrl: string): string | undefined {
  const q = rawUrl.indexOf('?');
  const raw = q < 0 ? rawUrl : rawUrl.slice(0, q);
  if (!raw.startsWith('/') || raw.startsWith('//')) return undefined;
  let path: string;
  try {
    path = decodeURIComponent(raw);
  } catch {
    return undefined;
  }
  if (path.includes('..') || path.includes('\\') || path.includes('\0') || path.includes('//')) return undefined;
  return path;
}

/**
 * Serves the dashboard: the built page and a read-only JSON API over a study store, with live
 * updates by server-sent events. The store and the built page are checked before it listens
 * (`STORE_NOT_FOUND`, `STORE_FORMAT`, `DASHBOARD_NOT_BUILT`).
 *
 * @example
 * const d = await startDashboard({ store: 'runs/study.db', port: 0 });
 * console.log(d.url); // http://127.0.0.1:41234/
 * await d.close();
 */
export async function startDashboard(opts: DashboardOptions): Promise<Dashboard> {
  const host = opts.host ?? '127.0.0.1';
  const files = loadStaticFiles(opts.webRoot ?? defaultWebRoot());
  const token = opts.token ?? (isLoopback(host) ? undefined : randomBytes(18).toString('base64url'));
  const store = await openStore(opts.store, { readonly: true });
  const hub = new LiveHub(store, opts.pollMs ?? 500);
  const server = createServer((req, res) => {
    handle(req, res, { store, files, token, host, hub }).catch((e: unknown) => {
      if (res.headersSent) res.destroy();
      else fail(res, 500, 'DASHBOARD_INTERNAL', (e as Error).message, false);
    });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 8765, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (e) {
    await store.close();
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EADDRINUSE') throw new DistilleryError('DASHBOARD_PORT_IN_USE', `port ${opts.port} on ${host} is already in use`, 'pass another --port, or --port 0 for any free one', '--port');
    if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND') throw new DistilleryError('DASHBOARD_HOST', `--host ${host}: not an address of this machine`, 'pass 127.0.0.1 (the default), 0.0.0.0 for every interface, or one of this machine\'s addresses', '--host');
    throw e;
  }
  const port = (server.address() as AddressInfo).port;
  const shown = host.includes(':') ? `[${host}]` : host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const url = `http://${shown}:${port}/${token ? `?token=${encodeURIComponent(token)}` : ''}`;
  return {
    url,
    host,
    port,
    token,
    async close() {
      hub.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await store.close();
    },
  };
}

interface Ctx {
  store: Store;
  files: Map<string, StaticFile>;
  token: string | undefined;
  host: string;
  hub: LiveHub;
}

async function handle(req: IncomingMessage, res: ServerResponse, ctx: Ctx): Promise<void> {
  const method = req.method ?? 'GET';
  const head = method === 'HEAD';
  if (method !== 'GET' && method !== 'HEAD') return fail(res, 405, 'METHOD_NOT_ALLOWED', `${method}: the dashboard is read-only`, false, { Allow: 'GET, HEAD' });
  const path = safePath(req.url ?? '/');
  if (path === undefined) return fail(res, 404, 'NOT_FOUND', 'no such file', head);
  const auth = checkToken(req, ctx.token, ctx.host);
  if (!auth.ok) return fail(res, auth.status, auth.code, auth.message, head);
  const cookie: Record<string, string> = auth.fromQuery && ctx.token ? { 'Set-Cookie': tokenCookie(ctx.token) } : {};

  if (path.startsWith('/api/')) return api(path, req, res, ctx, head);
  const file = ctx.files.get(path === '/' ? '/index.html' : path);
  if (!file) return fail(res, 404, 'NOT_FOUND', 'no such file', head);
  send(res, 200, file.body, file.type, head, cookie);
}

const id = (s: string | undefined): number => Number(s);

async function api(path: string, req: IncomingMessage, res: ServerResponse, ctx: Ctx, head: boolean): Promise<void> {
  const none = (what: string) => fail(res, 404, 'NOT_FOUND', `no such ${what}`, head);
  const answer = (v: unknown, what: string) => (v === undefined ? none(what) : json(res, 200, v, head));
  let m: RegExpExecArray | null;
  if (path === '/api/studies') return json(res, 200, await listStudiesView(ctx.store), head);
  if ((m = /^\/api\/studies\/(\d+)$/.exec(path))) return answer(await studyView(ctx.store, id(m[1])), 'study');
  if ((m = /^\/api\/studies\/(\d+)\/trials$/.exec(path))) return answer(await trialsView(ctx.store, id(m[1])), 'study');
  if ((m = /^\/api\/studies\/(\d+)\/metrics$/.exec(path))) return answer(await studyMetricsView(ctx.store, id(m[1])), 'study');
  if ((m = /^\/api\/trials\/(\d+)$/.exec(path))) return answer(await trialDetail(ctx.store, id(m[1])), 'trial');
  if ((m = /^\/api\/studies\/(\d+)\/events$/.exec(path))) {
    const study = (await ctx.store.listStudies()).find((s) => s.id === id(m![1]));
    if (!study) return none('study');
    if (head) return send(res, 200, '', 'text/event-stream', true);
    return ctx.hub.subscribe(study, req, res, SECURITY_HEADERS);
  }
  return none('API route');
}
