import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const COOKIE = 'distillery_token';

/**
 * Whether a host name binds to this machine only.
 *
 * @example
 * isLoopback('127.0.0.1'); // true
 * isLoopback('0.0.0.0');   // false
 */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
}

/**
 * The cookie that lets the page's own assets and live feed in once its URL carried the token.
 *
 * @example
 * res.setHeader('Set-Cookie', tokenCookie(token));
 */
export function tokenCookie(token: string): string {
  return `${COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`;
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookieToken(req: IncomingMessage): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === COOKIE) {
      try {
        return decodeURIComponent(v.join('='));
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** The outcome of {@link checkToken}. */
export type AuthResult = { ok: true; fromQuery: boolean } | { ok: false; status: number; code: string; message: string };

/**
 * Lets a request in when no token is set, or when it carries it as `?token=`, as
 * `Authorization: Bearer`, or in the cookie set by an earlier `?token=` page load. Without a
 * token (loopback only) the Host header must name this machine too, so that a web page on
 * another site cannot read the API through DNS rebinding.
 *
 * @example
 * checkToken(req, 's3cret', '0.0.0.0'); // { ok: false, status: 401, ... } without the token
 */
export function checkToken(req: IncomingMessage, token: string | undefined, boundHost: string): AuthResult {
  if (token === undefined) {
    const name = (req.headers.host ?? '').replace(/:\d+$/, '');
    if (isLoopback(boundHost) && !isLoopback(name)) {
      return { ok: false, status: 403, code: 'DASHBOARD_HOST_HEADER', message: `Host '${req.headers.host ?? ''}' is not this machine; open the dashboard at 127.0.0.1` };
    }
    return { ok: true, fromQuery: false };
  }
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const fromQuery = q < 0 ? null : new URLSearchParams(url.slice(q + 1)).get('token');
  if (fromQuery !== null && same(fromQuery, token)) return { ok: true, fromQuery: true };
  const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  if (bearer && same(bearer[1]!, token)) return { ok: true, fromQuery: false };
  const c = cookieToken(req);
  if (c !== undefined && same(c, token)) return { ok: true, fromQuery: false };
  return { ok: false, status: 401, code: 'DASHBOARD_TOKEN', message: 'this dashboard needs its token: open the URL it printed (…?token=…) or send Authorization: Bearer TOKEN' };
}
