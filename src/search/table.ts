import { readFileSync } from 'node:fs';
import { DistilleryError } from '../core/errors.ts';
import type { SearchSpace } from './space.ts';
import type { Candidate, Direction, TrialResult } from './types.ts';

/**
 * A tabular benchmark as an evaluator: objectives are read from a CSV row instead of training,
 * the way NAS strategies are compared in the literature (e.g. NAS-Bench-201).
 */

/** A CSV table held as columns. */
export interface Table {
  file: string;
  columns: string[];
  /** Raw cell text by column. */
  text: Map<string, string[]>;
  rows: number;
}

/** One objective: a column and whether it is minimised or maximised. */
export interface ObjectiveSpec {
  column: string;
  direction: Direction;
}

/**
 * Reads a CSV with a header row (fields may be double-quoted). Throws `TABLE_FILE` naming the
 * file and line on a ragged row.
 *
 * @example
 * const t = readTable('bench/data/nb201-cifar10.csv'); t.rows; // 15625
 */
export function readTable(file: string): Table {
  let src: string;
  try {
    src = readFileSync(file, 'utf8');
  } catch (e) {
    throw new DistilleryError('TABLE_FILE', `${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, 'pass the path of a CSV file with a header row');
  }
  const lines = src.split(/\r?\n/).filter((l) => l.length > 0);
  if (lines.length < 2) throw new DistilleryError('TABLE_FILE', `${file}: no data rows`, 'the table needs a header row and at least one row');
  const columns = splitCsv(lines[0]!);
  const cols = columns.map(() => [] as string[]);
  for (let i = 1; i < lines.length; i++) {
    const f = splitCsv(lines[i]!);
    if (f.length !== columns.length) {
      throw new DistilleryError('TABLE_FILE', `${file}:${i + 1}: ${f.length} fields where the header has ${columns.length}`, 'fix that row of the CSV', `${file}:${i + 1}`);
    }
    f.forEach((v, j) => cols[j]!.push(v));
  }
  return { file, columns, text: new Map(columns.map((c, j) => [c, cols[j]!])), rows: lines.length - 1 };
}

function splitCsv(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') (cur += '"'), i++;
      else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') out.push(cur), (cur = '');
    else cur += ch;
  }
  out.push(cur);
  return out;
}

/**
 * Parses `col:max,col2:min` (each objective names its direction).
 * Throws `TABLE_OBJECTIVE` naming an unknown column or direction.
 *
 * @example
 * parseObjectives('c10_valid_12ep:max,lat_ms_pixel3:min', table);
 */
export function parseObjectives(spec: string, table?: Table): ObjectiveSpec[] {
  const parts = spec.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (parts.length === 0) throw new DistilleryError('TABLE_OBJECTIVE', 'no objectives given', 'write them as column:max or column:min, comma-separated');
  return parts.map((p) => {
    const m = /^(.+):(min|max)$/.exec(p);
    if (!m) throw new DistilleryError('TABLE_OBJECTIVE', `objective '${p}' has no direction`, `write ${p}:max or ${p}:min`, p);
    if (table && !table.text.has(m[1]!)) {
      throw new DistilleryError('TABLE_OBJECTIVE', `objective '${m[1]}' is not a column of ${table.file}`, `columns: ${table.columns.join(', ')}`, m[1]);
    }
    return { column: m[1]!, direction: m[2] as Direction };
  });
}

/**
 * Reads objectives for candidates from a table. `keys` maps each key column to a template over
 * the space's parameters (`"${name}"`); a row matches when every key column equals its filled
 * template. Without `keys`, every parameter maps to the column of the same name.
 *
 * @example
 * const ev = new TableEvaluator(table, space, parseObjectives('c10_valid_200ep:max', table),
 *   { arch: '|${e0}~0|+|${e1}~0|${e2}~1|+|${e3}~0|${e4}~1|${e5}~2|' });
 * ev.evaluate(c); // { objectives: [91.6] }
 */
export class TableEvaluator {
  private readonly index = new Map<string, number>();
  private readonly keyCols: string[];
  private readonly templates: string[];
  private readonly values: Float64Array[];

  constructor(
    readonly table: Table,
    readonly space: SearchSpace,
    readonly objectives: readonly ObjectiveSpec[],
    keys?: Record<string, string>,
  ) {
    const k = keys ?? Object.fromEntries(space.dims.map((d) => [d.name, `\${${d.name}}`]));
    this.keyCols = Object.keys(k);
    this.templates = Object.values(k);
    for (const c of this.keyCols) {
      if (!table.text.has(c)) throw new DistilleryError('TABLE_COLUMN', `key column '${c}' is not in ${table.file}`, `columns: ${table.columns.join(', ')}`, c);
    }
    for (const t of this.templates) {
      for (const m of t.matchAll(/\$\{([^}]+)\}/g)) space.dim(m[1]!);
    }
    for (let r = 0; r < table.rows; r++) this.index.set(this.keyCols.map((c) => table.text.get(c)![r]).join('\u0000'), r);
    this.values = objectives.map((o) => this.numeric(o.column));
  }

  /** A column as numbers (NaN where a cell is not a number). */
  numeric(column: string): Float64Array {
    const t = this.table.text.get(column);
    if (!t) throw new DistilleryError('TABLE_COLUMN', `column '${column}' is not in ${this.table.file}`, `columns: ${this.table.columns.join(', ')}`, column);
    return Float64Array.from(t, (s) => (s.trim() === '' ? NaN : Number(s)));
  }

  /** The row of a candidate; throws `TABLE_NO_ROW` with the filled key when none matches. */
  row(c: Candidate): number {
    const key = this.templates.map((t) => t.replace(/\$\{([^}]+)\}/g, (_, n: string) => String(c[n])));
    const r = this.index.get(key.join('\u0000'));
    if (r === undefined) {
      throw new DistilleryError('TABLE_NO_ROW', `no row of ${this.table.file} has ${this.keyCols.map((k, i) => `${k}=${key[i]}`).join(', ')}`, 'check that the key templates spell the column values exactly as the table does');
    }
    return r;
  }

  /** The candidate's objectives (undefined when a cell is empty or not a number: a failed trial). */
  evaluate(c: Candidate): TrialResult {
    const r = this.row(c);
    const v = this.values.map((col) => col[r]!);
    return { objectives: v.every(Number.isFinite) ? v : undefined };
  }

  /** Every row's objectives (NaN where missing), for exact fronts and best-possible values. */
  allObjectives(): number[][] {
    return Array.from({ length: this.table.rows }, (_, r) => this.values.map((col) => col[r]!));
  }
}
