import { spawn } from 'node:child_process';
import { DistilleryError } from '../core/errors.ts';
import type { CommandSpec } from './spec.ts';

function portFlag(v: unknown): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new DistilleryError('CLI_NUMBER', `--port ${String(v)}: expected a port number (0-65535)`, 'for example --port 8765, or --port 0 for any free port', '--port');
  return n;
}

// Opening a browser is a courtesy: where there is none (a server, CI), the URL printed is enough.
function openBrowser(url: string): void {
  const cmd = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  try {
    const child = spawn(cmd, [url], { detached: true, stdio: 'ignore' });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // no opener on this machine
  }
}

/**
 * `distillery dashboard --store study.db [--port P] [--host H] [--token T] [--open]`: serves
 * the dashboard until SIGINT/SIGTERM. Prints the URL (with the token when one is needed); with
 * `--json`, one `{"event":"listening","url":...}` line. The lead adds these to the command list.
 */
export const dashboardCommands: CommandSpec[] = [
  {
    name: 'dashboard',
    description: 'a local web page over a study store: trials, Pareto front, learning curves, live during a search',
    options: [
      { flags: '--store <file>', description: 'the study store (SQLite) to show; opened read-only' },
      { flags: '--port <n>', description: 'port (default 8765; 0 = any free port)' },
      { flags: '--host <host>', description: 'interface to bind (default 127.0.0.1; any other requires a token)' },
      { flags: '--token <token>', description: 'token the page and API require (generated when --host is not loopback)' },
      { flags: '--open', description: 'open the page in the default browser' },
    ],
    async run(_args, opts, flags) {
      const store = opts['store'];
      if (typeof store !== 'string') throw new DistilleryError('CLI_STORE_REQUIRED', 'dashboard needs a study store', 'pass --store FILE.db (a store written by `distillery search`)', '--store');
      const port = portFlag(opts['port']);
      const token = opts['token'];
      if (token !== undefined && (typeof token !== 'string' || token.length < 8 || /\s/.test(token))) {
        throw new DistilleryError('CLI_TOKEN', '--token: expected at least 8 characters without spaces', 'leave --token out to have one generated', '--token');
      }
      const { startDashboard } = await import('../dashboard/index.ts'); // SQLite: only when it runs
      const d = await startDashboard({
        store,
        ...(port !== undefined ? { port } : {}),
        ...(typeof opts['host'] === 'string' ? { host: opts['host'] } : {}),
        ...(typeof token === 'string' ? { token } : {}),
      });
      if (flags.json) process.stdout.write(JSON.stringify({ event: 'listening', url: d.url, host: d.host, port: d.port, store }) + '\n');
      else process.stdout.write(`dashboard for ${store} at ${d.url}\n(Ctrl-C to stop)\n`);
      if (opts['open'] === true) openBrowser(d.url);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      await d.close();
      if (flags.json) process.stdout.write(JSON.stringify({ event: 'done', command: 'dashboard' }) + '\n');
    },
  },
];
