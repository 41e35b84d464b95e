import { existsSync, openSync, readSync, closeSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { DistilleryError } from '../../core/errors.ts';
import { MODEL_JSON } from '../../models/index.ts';

/** A path given to the report, or a model the caller already knows (the quickstart's). */
export type ReportInput = string | { dir: string; role?: 'teacher' | 'student'; label?: string };

/** A model folder found in the inputs, before anything is measured. */
export interface FoundModel {
  /** Folder holding model.json. */
  dir: string;
  label: string;
  role?: 'teacher' | 'student';
  /** The run folder around it (config.json, metrics.jsonl), when there is one. */
  runDir?: string;
}

/** What one input path is. */
export type InputKind = { kind: 'store'; path: string } | { kind: 'models'; models: FoundModel[] };

const SQLITE_MAGIC = 'SQLite format 3\0';

function isSqlite(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const b = Buffer.alloc(16);
    return readSync(fd, b, 0, 16, 0) === 16 && b.toString('latin1') === SQLITE_MAGIC;
  } finally {
    closeSync(fd);
  }
}

const hasModel = (dir: string): boolean => existsSync(join(dir, MODEL_JSON));

/**
 * `REPORT_INPUT`: the path, why it is not a report input, and what is accepted.
 *
 * @example
 * throw reportInputError('notes.txt', 'a file that is not a study store');
 */
export function reportInputError(path: string, why: string): DistilleryError {
  return new DistilleryError(
    'REPORT_INPUT',
    `${path}: ${why}; a report takes a study store (.db written by distillery search), a model folder (holds model.json), or a run folder (holds model/, or several */model/ like the quickstart's output)`,
    'pass e.g. runs/quickstart, runs/mlp/model or study.db',
    path,
  );
}

/**
 * The model folder of a run or model path: `dir` itself when it holds model.json, else
 * `dir/model`. Undefined when neither does.
 *
 * @example
 * modelDirOf('runs/mlp'); // '/abs/runs/mlp/model'
 */
export function modelDirOf(dir: string): string | undefined {
  const d = resolve(dir);
  if (hasModel(d)) return d;
  if (hasModel(join(d, 'model'))) return join(d, 'model');
  return undefined;
}

function found(dir: string, label: string, role?: 'teacher' | 'student'): FoundModel {
  const runDir = basename(dir) === 'model' ? dirname(dir) : undefined;
  return { dir, label, ...(role ? { role } : {}), ...(runDir ? { runDir } : {}) };
}

/**
 * Classifies one input: a study store (SQLite with distillery's header), a model folder, a run
 * folder (`model/` inside), or a folder of runs (each `*\/model/`, like the quickstart's
 * teacher/, student/, distilled/; a child named `teacher` is the teacher). Anything else is
 * `REPORT_INPUT`, naming the path and what is accepted.
 *
 * @example
 * classifyInput('runs/quickstart'); // { kind: 'models', models: [{ label: 'distilled', ... }, { label: 'student' }, { label: 'teacher', role: 'teacher' }] }
 */
export function classifyInput(input: string): InputKind {
  const path = resolve(input);
  if (!existsSync(path)) throw reportInputError(input, 'no such file or folder');
  const st = statSync(path);
  if (st.isFile()) {
    if (isSqlite(path)) return { kind: 'store', path };
    throw reportInputError(input, 'a file that is not a study store');
  }
  if (hasModel(path)) {
    const label = basename(path) === 'model' ? basename(dirname(path)) : basename(path);
    return { kind: 'models', models: [found(path, label)] };
  }
  if (hasModel(join(path, 'model'))) return { kind: 'models', models: [found(join(path, 'model'), basename(path))] };
  const models: FoundModel[] = [];
  for (const name of readdirSync(path).sort()) {
    const child = join(path, name);
    if (!statSync(child).isDirectory()) continue;
    const dir = modelDirOf(child);
    if (dir) models.push(found(dir, name, name === 'teacher' ? 'teacher' : undefined));
  }
  if (models.length === 0) throw reportInputError(input, 'a folder with no model.json, no model/ and no */model/ inside');
  return { kind: 'models', models };
}
