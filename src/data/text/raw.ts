import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { DistilleryError } from '../../core/errors.ts';
import { readAllBytes } from '../files.ts';
import { decodeText, type TextEncodingMode } from './decode.ts';

/** One part (train or test) of a text source before tokenisation: raw texts, string labels and a stable key per example. */
export interface RawText {
  readonly texts: string[];
  readonly labels: string[];
  /** A stable id per example (file and line or record, or the corpus's own id): what cached teacher logits are keyed by. */
  readonly keys: string[];
  /** The file or folder read, for messages. */
  readonly file: string;
  /** Files (or the whole file) decoded as latin-1 because they were not UTF-8. */
  readonly latin1: number;
}

/** Column names of a table source. */
export interface TableColumns {
  readonly text: string;
  readonly label: string;
  readonly format?: 'csv' | 'tsv' | 'jsonl' | undefined;
}

/**
 * Read a table of labelled texts: CSV or TSV as RFC 4180 writes them (quoted fields holding
 * delimiters, doubled quotes and line breaks; read by `csv-parse`), or JSON Lines (one object
 * per line). The text and label columns are named; the format follows the extension unless
 * given. A missing column is DATA_TEXT_COLUMN, a column with no text at all DATA_TEXT_EMPTY.
 *
 * @example
 * const part = readTextTable('reviews.csv', { text: 'review', label: 'sentiment' }, 'auto');
 */
export function readTextTable(path: string, cols: TableColumns, mode: TextEncodingMode): RawText {
  const format = cols.format ?? formatOf(path);
  const { text, latin1 } = decodeText(readAllBytes(path), path, mode);
  const rows = format === 'jsonl' ? readJsonl(text, path) : readDelimited(text, path, format === 'tsv' ? '\t' : ',');
  const texts: string[] = [];
  const labels: string[] = [];
  const keys: string[] = [];
  const name = basename(path);
  const have = rows.length > 0 ? Object.keys(rows[0].record) : [];
  for (const col of [cols.text, cols.label]) {
    if (rows.length > 0 && !(col in rows[0].record)) {
      throw new DistilleryError(
        'DATA_TEXT_COLUMN',
        `${path}: no column '${col}' (columns: ${have.join(', ')})`,
        `set data.source.${col === cols.text ? 'text' : 'label'} to one of the columns listed`,
        path,
      );
    }
  }
  for (const { record, line } of rows) {
    const t = record[cols.text];
    const l = record[cols.label];
    if (l === undefined || l === null || String(l).trim() === '') {
      throw new DistilleryError('DATA_LABEL_MISSING', `${path}: ${line} has no ${cols.label}`, 'give every example a label', path);
    }
    texts.push(t === undefined || t === null ? '' : String(t));
    labels.push(String(l).trim());
    keys.push(`${name}:${line}`);
  }
  if (rows.length === 0) throw new DistilleryError('DATA_TEXT_EMPTY', `${path}: no examples`, 'the file needs a header and at least one row', path);
  if (texts.every((t) => t.trim() === '')) {
    throw new DistilleryError('DATA_TEXT_EMPTY', `${path}: every value of the text column '${cols.text}' is empty`, `check that data.source.text names the column that holds the texts`, path);
  }
  return { texts, labels, keys, file: path, latin1: latin1 ? 1 : 0 };
}

/**
 * Read a folder of labelled texts: one subfolder per class (its name is the label), one
 * `.txt` file per example. Each file is decoded on its own, so one latin-1 file among UTF-8
 * ones is read as latin-1 alone.
 *
 * @example
 * const part = readTextFolder('reviews/train', 'auto'); // reviews/train/pos/*.txt, reviews/train/neg/*.txt
 */
export function readTextFolder(dir: string, mode: TextEncodingMode): RawText {
  if (!isDir(dir)) throw new DistilleryError('DATA_NOT_FOUND', `${dir}: no such folder`, 'data.source.train of a text-folder source is a folder with one subfolder per class', dir);
  const classes = readdirSync(dir).filter((c) => isDir(join(dir, c))).sort();
  const texts: string[] = [];
  const labels: string[] = [];
  const keys: string[] = [];
  let latin1 = 0;
  for (const c of classes) {
    for (const f of readdirSync(join(dir, c)).filter((f) => f.endsWith('.txt')).sort()) {
      const file = join(dir, c, f);
      const d = decodeText(readFileSync(file), file, mode);
      texts.push(d.text);
      labels.push(c);
      keys.push(`${c}/${f}`);
      if (d.latin1) latin1++;
    }
  }
  if (texts.length === 0) throw new DistilleryError('DATA_TEXT_EMPTY', `${dir}: no .txt files in class subfolders`, 'put each class\'s .txt files in a subfolder named after the class', dir);
  return { texts, labels, keys, file: dir, latin1 };
}

interface Row {
  readonly record: Record<string, unknown>;
  /** "line 5" (where the record starts) or "record 3". */
  readonly line: string;
}

function readDelimited(text: string, path: string, delimiter: string): Row[] {
  try {
    const recs = parse(text, { columns: true, bom: true, delimiter, skip_empty_lines: true }) as Record<string, unknown>[];
    // Records, not lines: a quoted field may span several lines.
    return recs.map((record, i) => ({ record, line: `record ${i + 1}` }));
  } catch (e) {
    const err = e as { code?: string; message: string };
    throw new DistilleryError('DATA_CSV_FORMAT', `${path}: ${err.message}`, 'the file must be CSV (or TSV) as RFC 4180 writes it: a header row, one record per row, fields with commas, quotes or line breaks in double quotes', path);
  }
}

function readJsonl(text: string, path: string): Row[] {
  const rows: Row[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const s = lines[i].trim();
    if (s === '') continue;
    let v: unknown;
    try {
      v = JSON.parse(s);
    } catch (e) {
      throw new DistilleryError('DATA_JSONL_FORMAT', `${path}: line ${i + 1} is not JSON (${(e as Error).message})`, 'JSON Lines holds one JSON object per line', path);
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new DistilleryError('DATA_JSONL_FORMAT', `${path}: line ${i + 1} is not a JSON object`, 'JSON Lines holds one JSON object per line', path);
    rows.push({ record: v as Record<string, unknown>, line: `line ${i + 1}` });
  }
  return rows;
}

function formatOf(path: string): 'csv' | 'tsv' | 'jsonl' {
  const ext = extname(path.replace(/\.gz$/, '')).toLowerCase();
  if (ext === '.tsv' || ext === '.tab') return 'tsv';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  return 'csv';
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
