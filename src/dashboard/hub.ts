import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Store, StudyRecord } from '../store/index.ts';
import { StudyWatcher } from './live.ts';
import type { LiveEvent } from './live.ts';

interface Feed {
  watcher: StudyWatcher;
  clients: Set<ServerResponse>;
  ready: Promise<void>;
}

/**
 * Server-sent events per study: one {@link StudyWatcher} per watched study, shared by every
 * page open on it, stopped when the last one leaves. Each client first gets `ready` (fetch the
 * current state now: anything after it arrives as `trial` / `metrics` events).
 *
 * @example
 * const hub = new LiveHub(store, 500);
 * await hub.subscribe(study, req, res, {});
 */
export class LiveHub {
  private feeds = new Map<number, Feed>();
  private beat: NodeJS.Timeout;

  constructor(
    private readonly store: Store,
    private readonly pollMs: number,
  ) {
    // a comment line now and then keeps proxies and idle timeouts from closing a quiet feed
    this.beat = setInterval(() => {
      for (const f of this.feeds.values()) for (const c of f.clients) c.write(': ping\n\n');
    }, 15_000);
    this.beat.unref();
  }

  async subscribe(study: StudyRecord, req: IncomingMessage, res: ServerResponse, headers: Record<string, string>): Promise<void> {
    let feed = this.feeds.get(study.id);
    if (!feed) {
      const clients = new Set<ServerResponse>();
      const watcher = new StudyWatcher(this.store, study, (e) => broadcast(clients, e), this.pollMs);
      feed = { watcher, clients, ready: watcher.start() };
      this.feeds.set(study.id, feed);
    }
    try {
      await feed.ready;
    } catch (e) {
      // a failed first read must not leave a dead feed behind for the next page
      if (this.feeds.get(study.id) === feed) this.feeds.delete(study.id);
      throw e;
    }
    res.writeHead(200, { ...headers, 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
    res.write('retry: 1000\n\nevent: ready\ndata: {}\n\n');
    feed.clients.add(res);
    const f = feed;
    req.on('close', () => {
      f.clients.delete(res);
      if (f.clients.size === 0 && this.feeds.get(study.id) === f) {
        f.watcher.stop();
        this.feeds.delete(study.id);
      }
    });
  }

  close(): void {
    clearInterval(this.beat);
    for (const f of this.feeds.values()) {
      f.watcher.stop();
      for (const c of f.clients) c.end();
    }
    this.feeds.clear();
  }
}

function broadcast(clients: Set<ServerResponse>, e: LiveEvent): void {
  const data = e.type === 'trial' ? e.trial : { trialId: e.trialId, step: e.step, values: e.values };
  const msg = `event: ${e.type}\ndata: ${JSON.stringify(data)}\n\n`;
  for (const c of clients) c.write(msg);
}
