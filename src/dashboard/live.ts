import type { Store, StudyCounts, StudyRecord } from '../store/index.ts';
import { trialView } from './api.ts';
import type { TrialView } from './api.ts';

/** A change the page is told about: a trial that appeared or changed, or a new epoch of one. */
export type LiveEvent =
  | { type: 'trial'; trial: TrialView }
  | { type: 'metrics'; trialId: number; step: number; values: Record<string, number> };

interface Seen {
  state: string;
  attempts: number;
  steps: number;
}

/**
 * Watches one study for changes by polling the store (a search writes it from another
 * process, so there is nothing to subscribe to). Each tick costs one `counts` query and one
 * `metrics` read per running trial; the trial list is re-read only when the counts move or a
 * running trial restarted. Final trials never change, so they are never re-read.
 *
 * @example
 * const w = new StudyWatcher(store, study, (e) => console.log(e.type));
 * await w.start(); // ... w.stop();
 */
export class StudyWatcher {
  private seen = new Map<number, Seen>();
  private counts = '';
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;

  constructor(
    private readonly store: Store,
    private readonly study: StudyRecord,
    private readonly emit: (e: LiveEvent) => void,
    private readonly intervalMs = 500,
  ) {}

  /** Takes the current state as the baseline (nothing is emitted for it) and starts polling. */
  async start(): Promise<void> {
    await this.scan(false);
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One poll; exposed so tests need not wait for the timer. */
  async tick(): Promise<void> {
    if (this.ticking) return; // a slow read must not pile up overlapping polls
    this.ticking = true;
    try {
      const counts = countsKey(await this.store.counts(this.study.id));
      let rescan = counts !== this.counts;
      for (const [id, s] of this.seen) {
        if (s.state !== 'running' || rescan) continue;
        const metrics = await this.store.metrics(id);
        // fewer epochs than before: the trial was restarted (its metrics cleared)
        if (metrics.length < s.steps) rescan = true;
        else this.emitMetrics(id, s, metrics);
      }
      if (rescan) await this.scan(true);
    } catch {
      // A poll that fails (the file briefly locked, a checkpoint under way) is retried on the next tick.
    } finally {
      this.ticking = false;
    }
  }

  private async scan(emit: boolean): Promise<void> {
    this.counts = countsKey(await this.store.counts(this.study.id));
    for (const t of await this.store.listTrials(this.study.id)) {
      const before = this.seen.get(t.id);
      const changed = !before || before.state !== t.state || before.attempts !== t.attempts;
      const s: Seen = before && before.attempts === t.attempts ? before : { state: t.state, attempts: t.attempts, steps: 0 };
      s.state = t.state;
      this.seen.set(t.id, s);
      if (changed && emit) this.emit({ type: 'trial', trial: trialView(t, this.study.objectives) });
      // epochs of a trial seen for the first time, or reported between its last poll and its end
      if (!before || changed) {
        const metrics = await this.store.metrics(t.id);
        if (emit) this.emitMetrics(t.id, s, metrics);
        else s.steps = metrics.length;
      }
    }
  }

  private emitMetrics(id: number, s: Seen, metrics: { step: number; values: Record<string, number> }[]): void {
    for (const m of metrics.slice(s.steps)) this.emit({ type: 'metrics', trialId: id, step: m.step, values: m.values });
    s.steps = Math.max(s.steps, metrics.length);
  }
}

function countsKey(c: StudyCounts): string {
  return `${c.running}/${c.complete}/${c.pruned}/${c.failed}/${c.infeasible}/${c.total}`;
}
