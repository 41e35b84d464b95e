/**
 * Training and search emit events; the progress bar, `--json` lines and (later) the dashboard
 * feed are reporters that listen to them. Every event is a plain JSON object with `event`.
 */
export type DistilleryEvent =
  | { event: 'start'; [k: string]: unknown }
  | { event: 'epoch_start'; epoch: number; epochs: number; batches: number; [k: string]: unknown }
  | { event: 'batch'; epoch: number; batch: number; batches: number; loss: number; [k: string]: unknown }
  | { event: 'epoch'; epoch: number; epochs: number; [k: string]: unknown }
  | { event: 'info'; message: string; [k: string]: unknown }
  | { event: 'warning'; message: string; [k: string]: unknown }
  | { event: 'trial_start' | 'trial_epoch' | 'trial_done'; trial: number; number: number; [k: string]: unknown }
  | { event: 'done'; [k: string]: unknown };

/** A reporter is any function of an event; it must not throw. */
export type Reporter = (e: DistilleryEvent) => void;

export const silentReporter: Reporter = () => {};

/** Fan one event out to several reporters. */
export function combineReporters(...rs: Reporter[]): Reporter {
  return (e) => {
    for (const r of rs) r(e);
  };
}
