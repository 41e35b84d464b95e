import { DistilleryError, isDistilleryError } from '../../core/errors.ts';
import type { EvalOutcome } from '../../evaluate/index.ts';
import type { FrozenStudy, TrialSpec } from '../executor.ts';
import type { WorkerEngine } from './runner.ts';

/**
 * Messages between the local pool and its worker processes (IPC with structured clone, so NaN
 * objectives survive). One trial at a time per worker; each epoch waits for the verdict.
 */
export type ToWorker =
  | { type: 'init'; frozen: FrozenStudy; engine: WorkerEngine }
  | { type: 'run'; trial: TrialSpec }
  | { type: 'verdict'; trialId: number; step: number; prune: boolean };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'init-error'; error: ErrorData }
  | { type: 'epoch'; trialId: number; step: number; objectives: number[]; metrics: Record<string, number> }
  | { type: 'done'; trialId: number; outcome: EvalOutcome }
  | { type: 'run-error'; trialId: number; error: ErrorData };

/** A DistilleryError as plain data (it crosses processes and Redis). */
export interface ErrorData {
  code: string;
  message: string;
  hint?: string;
  where?: string;
}

/**
 * An error as plain data; anything but a DistilleryError becomes `WORKER_ERROR`.
 *
 * @example
 * child.send({ type: 'init-error', error: errorData(e) });
 */
export function errorData(e: unknown): ErrorData {
  if (isDistilleryError(e)) return { code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}), ...(e.where ? { where: e.where } : {}) };
  return { code: 'WORKER_ERROR', message: e instanceof Error ? e.message.split('\n')[0]! : String(e) };
}

/**
 * The DistilleryError again, on the coordinator's side.
 *
 * @example
 * throw errorOf(msg.error);
 */
export function errorOf(d: ErrorData): DistilleryError {
  return new DistilleryError(d.code, d.message, d.hint, d.where);
}
