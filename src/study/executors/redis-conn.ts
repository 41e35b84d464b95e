import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import type { RedisOptions } from 'ioredis';
import { DistilleryError } from '../../core/errors.ts';

/** A parsed `redis://[user][:password@]host[:port][/db]` URL; `shown` is safe to print. */
export interface RedisTarget {
  options: RedisOptions;
  /** The URL with its password replaced by `***`: the only form ever printed or stored. */
  shown: string;
  /** The password, to scrub from third-party error messages. */
  secret: string | undefined;
}

/** The Redis set where coordinators register their queues and workers find them. */
export const QUEUE_REGISTRY = 'distillery:queues';
/** Prefix of the keys that carry the coordinator's pruning verdicts to remote workers. */
export const VERDICT_PREFIX = 'distillery:verdict:';

/**
 * Parses a Redis URL. Bad URLs fail with `REDIS_URL`, and never echo a password.
 *
 * @example
 * parseRedisUrl('redis://:secret@10.0.0.5:6380/2').shown; // 'redis://:***@10.0.0.5:6380/2'
 */
export function parseRedisUrl(url: string, flag = '--redis'): RedisTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new DistilleryError('REDIS_URL', `${flag} ${redact(url)}: not a URL`, 'write it as redis://[:password@]host[:port][/db], e.g. redis://127.0.0.1:6379', flag);
  }
  const secret = u.password ? decodeURIComponent(u.password) : undefined;
  if (u.password) u.password = '***';
  const shown = u.toString().replace(/\/$/, '');
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new DistilleryError('REDIS_URL', `${flag} ${shown}: not a redis:// URL`, 'write it as redis://[:password@]host[:port][/db]', flag);
  }
  const db = u.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d+$/.test(db)) throw new DistilleryError('REDIS_URL', `${flag} ${shown}: the database '${db}' is not a number`, 'end the URL with /0, /1, ... or nothing', flag);
  const options: RedisOptions = {
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(secret !== undefined ? { password: secret } : {}),
    ...(db ? { db: Number(db) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
  };
  return { options, shown, secret };
}

/** A URL-like string with any `:password@` replaced by `:***@` (for input that does not parse). */
function redact(s: string): string {
  return s.replace(/:[^@/\s]*@/, ':***@');
}

/** An error's message with the password scrubbed out. */
export function scrub(target: RedisTarget, e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return target.secret ? msg.split(target.secret).join('***') : msg;
}

/**
 * Connects to Redis once, failing fast: `REDIS_UNREACHABLE` within `timeoutMs` (one line, the URL
 * without its password) instead of ioredis' endless reconnecting. Once connected, the connection
 * reconnects every second on its own (a brief Redis restart is survived).
 *
 * @example
 * const redis = await connectRedis(parseRedisUrl('redis://127.0.0.1:6379'));
 */
export async function connectRedis(target: RedisTarget, timeoutMs = 3000): Promise<Redis> {
  const redis = new Redis({ ...target.options, lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 1, retryStrategy: () => null, enableOfflineQueue: false });
  let last: unknown;
  redis.on('error', (e: unknown) => (last = e));
  try {
    await redis.connect();
    await redis.ping();
  } catch (e) {
    redis.disconnect();
    throw unreachable(target, last ?? e);
  }
  redis.options.retryStrategy = () => 1000;
  return redis;
}

/**
 * The one error a process that cannot reach Redis exits with.
 *
 * @example
 * throw unreachable(target, e);
 */
export function unreachable(target: RedisTarget, e: unknown): DistilleryError {
  return new DistilleryError('REDIS_UNREACHABLE', `cannot reach Redis at ${target.shown}: ${scrub(target, e)}`, 'start redis-server there (or check the host, port and password in the URL)', target.shown);
}

/** Options for BullMQ's own connections (it requires `maxRetriesPerRequest: null`). */
export function bullConnection(target: RedisTarget): RedisOptions {
  return { ...target.options, maxRetriesPerRequest: null, retryStrategy: () => 1000 };
}

/**
 * The queue of one study: derived from the store's path and the study's name, in the characters
 * BullMQ allows (no `:`), stable across restarts so a resumed coordinator finds its jobs.
 *
 * @example
 * studyQueue('/runs/mnist.db', 'mnist-search'); // { queue: 'distillery-mnist-search-1a2b3c4d5e', key: '1a2b3c4d5e' }
 */
export function studyQueue(storePath: string, study: string): { queue: string; key: string } {
  const key = createHash('sha256').update(`${storePath}\u0000${study}`).digest('hex').slice(0, 10);
  const safe = study.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 40);
  return { queue: `distillery-${safe}-${key}`, key };
}
