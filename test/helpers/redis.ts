import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { tempDir } from './cli.ts';
import { missingTool } from './tools.ts';

/** Skip reason when `redis-server` is missing on a user's machine (throws in CI, which must have it). */
export function redisSkip(): string | false {
  return missingTool('redis-server', ['--version'], 'apt-get install redis-server');
}

/** A port nothing listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface RedisServer {
  port: number;
  url: string;
  pid: number;
  /** Stops the server by the PID in its pidfile. */
  stop(): Promise<void>;
}

/**
 * Starts a real `redis-server` on 127.0.0.1 on a free port, in a temp dir, with no persistence
 * (`--save '' --appendonly no`) and a pidfile; `stop()` ends it by that PID.
 *
 * @example
 * const redis = await startRedis();
 * try { ... redis.url ... } finally { await redis.stop(); }
 */
export async function startRedis(password?: string): Promise<RedisServer> {
  const dir = tempDir('distillery-redis-');
  const port = await freePort();
  const pidfile = join(dir, 'redis.pid');
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--pidfile', pidfile, '--daemonize', 'no', '--loglevel', 'warning', ...(password ? ['--requirepass', password] : [])];
  const child = spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const until = Date.now() + 10_000;
  while (!existsSync(pidfile) || readFileSync(pidfile, 'utf8').trim() === '') {
    if (child.exitCode !== null) throw new Error(`redis-server exited: ${err}`);
    if (Date.now() > until) throw new Error(`redis-server did not start within 10 s: ${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const pid = Number(readFileSync(pidfile, 'utf8').trim());
  // The pidfile is written before the port accepts: wait until it does.
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) break;
    if (Date.now() > until) throw new Error('redis-server does not accept connections');
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port, pid,
    url: `redis://${password ? `:${password}@` : ''}127.0.0.1:${port}`,
    async stop() {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        return;
      }
      const deadline = Date.now() + 5000;
      while (Date.now() < deadline) {
        try {
          process.kill(pid, 0);
        } catch {
          return;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      process.kill(pid, 'SIGKILL');
    },
  };
}
