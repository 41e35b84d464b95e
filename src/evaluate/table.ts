import { isDistilleryError } from '../core/errors.ts';
import { TableEvaluator } from '../search/index.ts';
import type { ObjectiveSpec, SearchSpace, Table } from '../search/index.ts';
import type { Candidate } from '../search/types.ts';
import type { EvalOutcome, EvalRequest, Evaluator } from './types.ts';

/**
 * Objectives read from a tabular benchmark instead of training (`--table FILE.csv
 * --objectives c10_valid_12ep:max,lat_ms_pixel3:min`): each candidate's row gives its values
 * at no training cost. A missing row or an empty cell makes the trial failed, with the reason.
 *
 * @example
 * const ev = new TableTrialEvaluator(readTable('bench/data/nb201-cifar10.csv'), space, parseObjectives('c10_valid_12ep:max', table), keys);
 * await ev.evaluate({ trialId: 1, candidate: c }); // { state: 'complete', objectives: [88.1], ... }
 */
export class TableTrialEvaluator implements Evaluator {
  readonly objectives: readonly string[];
  private readonly inner: TableEvaluator;

  constructor(table: Table, space: SearchSpace, objectives: readonly ObjectiveSpec[], keys?: Record<string, string>) {
    this.inner = new TableEvaluator(table, space, objectives, keys);
    this.objectives = objectives.map((o) => o.column);
  }

  check(_c: Candidate): { violation: number; metrics: Record<string, number> } {
    return { violation: 0, metrics: {} };
  }

  async evaluate(req: EvalRequest): Promise<EvalOutcome> {
    try {
      const row = this.inner.row(req.candidate);
      const r = this.inner.evaluate(req.candidate);
      if (!r.objectives) return { state: 'failed', reason: `TABLE_EMPTY_CELL: row ${row + 2} of ${this.inner.table.file} has no value for ${this.objectives.join(' or ')}`, constraintViolation: 0, values: { row }, artifacts: {} };
      const values: Record<string, number> = { row };
      this.objectives.forEach((o, i) => (values[o] = r.objectives![i]!));
      await req.onEpoch?.(0, r.objectives, values);
      return { state: 'complete', objectives: r.objectives, constraintViolation: 0, values, artifacts: {} };
    } catch (e) {
      if (isDistilleryError(e)) return { state: 'failed', reason: `${e.code}: ${e.message}`, constraintViolation: 0, values: {}, artifacts: {} };
      throw e;
    }
  }

  async dispose(): Promise<void> {}
}
