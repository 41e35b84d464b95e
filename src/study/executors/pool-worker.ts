// The entry of one local pool worker process (forked by PoolExecutor, run through the CLI's
// loader, bin/ts-register.js): it builds the study's evaluator once with its own engine, then
// trains the trials the pool sends, one at a time, relaying each epoch and waiting for the
// coordinator's pruning verdict.
import type { FromWorker, ToWorker } from './protocol.ts';
import { errorData } from './protocol.ts';
import { TrialRunner } from './runner.ts';
import type { FrozenStudy } from '../executor.ts';

let runner: TrialRunner | undefined;
let frozen: FrozenStudy | undefined;
const verdicts = new Map<string, (prune: boolean) => void>();

function send(m: FromWorker): void {
  process.send!(m);
}

process.on('message', (raw) => {
  const m = raw as ToWorker;
  if (m.type === 'init') {
    frozen = m.frozen;
    runner = new TrialRunner(m.engine);
    runner.prepare(m.frozen).then(
      () => send({ type: 'ready' }),
      (e: unknown) => send({ type: 'init-error', error: errorData(e) }),
    );
  } else if (m.type === 'verdict') {
    const key = `${m.trialId}:${m.step}`;
    verdicts.get(key)?.(m.prune);
    verdicts.delete(key);
  } else if (m.type === 'run') {
    const { trial } = m;
    runner!
      .run(frozen!, trial, (step, objectives, metrics) =>
        new Promise<boolean>((resolve) => {
          verdicts.set(`${trial.trialId}:${step}`, resolve);
          send({ type: 'epoch', trialId: trial.trialId, step, objectives, metrics });
        }),
      )
      .then(
        (outcome) => send({ type: 'done', trialId: trial.trialId, outcome }),
        (e: unknown) => send({ type: 'run-error', trialId: trial.trialId, error: errorData(e) }),
      );
  }
});

// The coordinator went away (killed, or closed the pool): nothing left to work for.
process.on('disconnect', () => process.exit(0));
