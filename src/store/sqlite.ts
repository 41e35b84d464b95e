import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { assert, DistilleryError } from '../core/errors.ts';
import type { Direction } from '../search/types.ts';
import { studyReference } from './summary.ts';
import type { MetricRecord, NewStudy, NewTrial, Store, StudyCounts, StudyRecord, TrialOutcome, TrialRecord, TrialState } from './types.ts';

/** Bumped whenever the tables change; a store of another version is refused, never migrated silently. */
export const SCHEMA_VERSION = 2;
const FORMAT = 'distillery-study';
const SQLITE_MAGIC = 'SQLite format 3\u0000';

const SCHEMA = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE studies (
  id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, config TEXT NOT NULL,
  objectives TEXT NOT NULL, directions TEXT NOT NULL, reference TEXT NOT NULL, created TEXT NOT NULL);
CREATE TABLE trials (
  id INTEGER PRIMARY KEY, study_id INTEGER NOT NULL REFERENCES studies(id), number INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('running','complete','pruned','failed','infeasible')),
  reason TEXT, params TEXT NOT NULL, spec TEXT, objectives TEXT, violation REAL, measured TEXT NOT NULL DEFAULT '{}',
  started TEXT NOT NULL, finished TEXT, duration REAL, artifacts TEXT NOT NULL DEFAULT '{}', attempts INTEGER NOT NULL DEFAULT 1,
  UNIQUE (study_id, number));
CREATE TABLE metrics (trial_id INTEGER NOT NULL REFERENCES trials(id), step INTEGER NOT NULL, measured TEXT NOT NULL, PRIMARY KEY (trial_id, step));
CREATE TABLE snapshots (id INTEGER PRIMARY KEY, study_id INTEGER NOT NULL REFERENCES studies(id), state TEXT NOT NULL, created TEXT NOT NULL);
CREATE INDEX trials_by_study ON trials(study_id, number);
CREATE INDEX snapshots_by_study ON snapshots(study_id, id);
`;

/** Options of {@link openStore}. */
export interface OpenStoreOptions {
  /** Open for reading only (the dashboard, `search show`): never writes, never creates. */
  readonly?: boolean;
  /** Fail with `STORE_NOT_FOUND` instead of creating a new store. */
  mustExist?: boolean;
}

type Row = Record<string, unknown>;
// JSON has no NaN or Infinity; a missing value (null) reads back as NaN in objective vectors.
const num = (v: unknown): number => (v === null || v === undefined ? NaN : Number(v));
const parse = (s: unknown): unknown => (s === null || s === undefined ? undefined : JSON.parse(String(s)));
const now = (): string => new Date().toISOString();

function readHeader(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(16);
    const n = readSync(fd, buf, 0, 16, 0);
    return buf.subarray(0, n).toString('latin1');
  } finally {
    closeSync(fd);
  }
}

function notAStudy(path: string, why: string): DistilleryError {
  return new DistilleryError('STORE_FORMAT', `${path}: not a distillery study store (${why})`, 'pass the .db file a `distillery search` wrote, or a new path to start a study; the file was left as it was', path);
}

/**
 * Opens (or creates) a study store: an SQLite file in WAL mode. A file that is not one (not
 * SQLite, or SQLite without distillery's tables and schema version) fails with `STORE_FORMAT`
 * and is never modified: it is checked read-only before anything is written.
 *
 * @example
 * const store = await openStore('runs/study.db');
 * const ro = await openStore('runs/study.db', { readonly: true });
 */
export async function openStore(file: string, opts: OpenStoreOptions = {}): Promise<Store> {
  const path = resolve(file);
  const exists = existsSync(path) && statSync(path).size > 0;
  if (!exists && (opts.readonly || opts.mustExist)) {
    throw new DistilleryError('STORE_NOT_FOUND', `${file}: no such study store`, 'check the --store path, or run `distillery search --config FILE --store PATH` to start a study there', file);
  }
  if (exists) {
    if (statSync(path).isDirectory()) throw notAStudy(file, 'a directory');
    if (readHeader(path) !== SQLITE_MAGIC) throw notAStudy(file, 'not an SQLite file');
    let probe: Database.Database | undefined;
    try {
      probe = new Database(path, { readonly: true, fileMustExist: true });
      const hasMeta = probe.prepare("SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'").get();
      if (!hasMeta) throw notAStudy(file, 'SQLite without the study tables');
      const meta = new Map((probe.prepare('SELECT key, value FROM meta').all() as { key: string; value: string }[]).map((r) => [r.key, r.value]));
      if (meta.get('format') !== FORMAT) throw notAStudy(file, `format '${meta.get('format') ?? 'none'}'`);
      const v = Number(meta.get('schema_version'));
      if (v !== SCHEMA_VERSION) {
        throw new DistilleryError('STORE_FORMAT', `${file}: study store schema version ${meta.get('schema_version')}, this distillery reads version ${SCHEMA_VERSION}`, 'open it with the distillery version that wrote it; the file was left as it was', file);
      }
    } catch (e) {
      if (e instanceof DistilleryError) throw e;
      throw notAStudy(file, (e as Error).message);
    } finally {
      probe?.close();
    }
  } else {
    mkdirSync(dirname(path), { recursive: true });
  }
  const db = new Database(path, opts.readonly ? { readonly: true, fileMustExist: true } : {});
  if (!opts.readonly) {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    if (!exists) {
      db.transaction(() => {
        db.exec(SCHEMA);
        db.prepare('INSERT INTO meta (key, value) VALUES (?, ?), (?, ?), (?, ?)').run('format', FORMAT, 'schema_version', String(SCHEMA_VERSION), 'created', now());
      })();
    }
  }
  return new SqliteStore(path, db, opts.readonly ?? false);
}

/** The SQLite {@link Store}; build it with {@link openStore}. */
export class SqliteStore implements Store {
  constructor(
    readonly path: string,
    private readonly db: Database.Database,
    readonly readonly: boolean,
  ) {}

  private writable(): void {
    if (this.readonly) throw new DistilleryError('STORE_READONLY', `${this.path}: opened read-only`, 'open the store without readonly to write to it', this.path);
  }

  async createStudy(s: NewStudy): Promise<StudyRecord> {
    this.writable();
    if (this.db.prepare('SELECT 1 FROM studies WHERE name = ?').get(s.name)) {
      throw new DistilleryError('STORE_STUDY_EXISTS', `${this.path}: already holds a study named '${s.name}'`, 'pass --resume to continue it, or another --store (or name) to start afresh', this.path);
    }
    const reference = [...(s.reference ?? studyReference(s.objectives))];
    assert(reference.length === s.objectives.length && reference.every((r) => r === null || Number.isFinite(r)), () => `createStudy: reference ${JSON.stringify(reference)} needs one finite number or null per objective (${s.objectives.join(', ')})`);
    const created = now();
    const r = this.db
      .prepare('INSERT INTO studies (name, config, objectives, directions, reference, created) VALUES (?, ?, ?, ?, ?, ?)')
      .run(s.name, JSON.stringify(s.config), JSON.stringify(s.objectives), JSON.stringify(s.directions), JSON.stringify(reference), created);
    return { id: Number(r.lastInsertRowid), name: s.name, config: structuredClone(s.config), objectives: [...s.objectives], directions: [...s.directions], reference, created };
  }

  async getStudy(name?: string): Promise<StudyRecord | undefined> {
    const row = (name === undefined ? this.db.prepare('SELECT * FROM studies ORDER BY id DESC LIMIT 1').get() : this.db.prepare('SELECT * FROM studies WHERE name = ?').get(name)) as Row | undefined;
    return row ? studyOf(row) : undefined;
  }

  async listStudies(): Promise<StudyRecord[]> {
    return (this.db.prepare('SELECT * FROM studies ORDER BY id').all() as Row[]).map(studyOf);
  }

  async addTrials(studyId: number, trials: readonly NewTrial[], snapshot?: { state: unknown }): Promise<TrialRecord[]> {
    this.writable();
    const insert = this.db.prepare(
      'INSERT INTO trials (study_id, number, state, reason, params, spec, violation, measured, started, finished, duration) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const ids = this.db.transaction(() => {
      const next = (this.db.prepare('SELECT COALESCE(MAX(number) + 1, 0) AS n FROM trials WHERE study_id = ?').get(studyId) as { n: number }).n;
      const out = trials.map((t, i) => {
        const state = t.state ?? 'running';
        const at = now();
        const r = insert.run(studyId, next + i, state, t.reason ?? null, JSON.stringify(t.params), t.spec === undefined ? null : JSON.stringify(t.spec), t.constraintViolation ?? null, JSON.stringify(t.values ?? {}), at, state === 'running' ? null : at, state === 'running' ? null : 0);
        return Number(r.lastInsertRowid);
      });
      if (snapshot) this.snapshot(studyId, snapshot.state);
      return out;
    })();
    return ids.map((id) => this.trial(id)!);
  }

  async restartTrial(trialId: number): Promise<TrialRecord> {
    this.writable();
    this.db.transaction(() => {
      this.mustBeRunning(trialId);
      this.db.prepare('DELETE FROM metrics WHERE trial_id = ?').run(trialId);
      this.db.prepare('UPDATE trials SET attempts = attempts + 1, started = ? WHERE id = ?').run(now(), trialId);
    })();
    return this.trial(trialId)!;
  }

  async reportEpoch(trialId: number, step: number, values: Record<string, number>): Promise<void> {
    this.writable();
    this.db.transaction(() => {
      this.mustBeRunning(trialId);
      this.db.prepare('INSERT OR REPLACE INTO metrics (trial_id, step, measured) VALUES (?, ?, ?)').run(trialId, step, JSON.stringify(values));
    })();
  }

  async finishTrial(trialId: number, o: TrialOutcome, snapshot?: { state: unknown }): Promise<TrialRecord> {
    this.writable();
    this.db.transaction(() => {
      const t = this.mustBeRunning(trialId);
      const finished = new Date();
      const duration = (finished.getTime() - Date.parse(t.started)) / 1000;
      this.db
        .prepare('UPDATE trials SET state = ?, reason = ?, objectives = ?, violation = ?, measured = ?, artifacts = ?, finished = ?, duration = ? WHERE id = ?')
        .run(o.state, o.reason ?? null, o.objectives ? JSON.stringify(o.objectives.map((x) => (Number.isFinite(x) ? x : null))) : null, o.constraintViolation ?? null, JSON.stringify(o.values ?? {}), JSON.stringify(o.artifacts ?? {}), finished.toISOString(), duration, trialId);
      if (snapshot) this.snapshot(t.studyId, snapshot.state);
    })();
    return this.trial(trialId)!;
  }

  async getTrial(trialId: number): Promise<TrialRecord | undefined> {
    return this.trial(trialId);
  }

  async listTrials(studyId: number, opts: { state?: TrialState } = {}): Promise<TrialRecord[]> {
    const rows = (opts.state ? this.db.prepare('SELECT * FROM trials WHERE study_id = ? AND state = ? ORDER BY number').all(studyId, opts.state) : this.db.prepare('SELECT * FROM trials WHERE study_id = ? ORDER BY number').all(studyId)) as Row[];
    return rows.map(trialOf);
  }

  async metrics(trialId: number): Promise<MetricRecord[]> {
    return (this.db.prepare('SELECT * FROM metrics WHERE trial_id = ? ORDER BY step').all(trialId) as Row[]).map(metricOf);
  }

  async studyMetrics(studyId: number): Promise<MetricRecord[]> {
    const rows = this.db.prepare('SELECT m.* FROM metrics m JOIN trials t ON t.id = m.trial_id WHERE t.study_id = ? ORDER BY t.number, m.step').all(studyId) as Row[];
    return rows.map(metricOf);
  }

  async lastSnapshot(studyId: number): Promise<{ state: unknown; created: string } | undefined> {
    const row = this.db.prepare('SELECT state, created FROM snapshots WHERE study_id = ? ORDER BY id DESC LIMIT 1').get(studyId) as Row | undefined;
    return row ? { state: parse(row['state']), created: String(row['created']) } : undefined;
  }

  async counts(studyId: number): Promise<StudyCounts> {
    const out: StudyCounts = { running: 0, complete: 0, pruned: 0, failed: 0, infeasible: 0, total: 0 };
    for (const r of this.db.prepare('SELECT state, COUNT(*) AS n FROM trials WHERE study_id = ? GROUP BY state').all(studyId) as { state: TrialState; n: number }[]) {
      out[r.state] = r.n;
      out.total += r.n;
    }
    return out;
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  private snapshot(studyId: number, state: unknown): void {
    this.db.prepare('INSERT INTO snapshots (study_id, state, created) VALUES (?, ?, ?)').run(studyId, JSON.stringify(state), now());
    // Only the latest snapshot is ever read; keep a few for inspection, not one per trial forever.
    this.db.prepare('DELETE FROM snapshots WHERE study_id = ? AND id NOT IN (SELECT id FROM snapshots WHERE study_id = ? ORDER BY id DESC LIMIT 5)').run(studyId, studyId);
  }

  private trial(id: number): TrialRecord | undefined {
    const row = this.db.prepare('SELECT * FROM trials WHERE id = ?').get(id) as Row | undefined;
    return row ? trialOf(row) : undefined;
  }

  private mustBeRunning(trialId: number): TrialRecord {
    const t = this.trial(trialId);
    if (!t) throw new DistilleryError('STORE_NO_TRIAL', `${this.path}: no trial with id ${trialId}`, 'pass the id of a trial of this store');
    if (t.state !== 'running') {
      throw new DistilleryError('STORE_TRIAL_FINAL', `${this.path}: trial ${trialId} is ${t.state}; a finished trial is never changed`, 'start a new trial instead');
    }
    return t;
  }
}

function studyOf(r: Row): StudyRecord {
  return { id: Number(r['id']), name: String(r['name']), config: parse(r['config']), objectives: parse(r['objectives']) as string[], directions: parse(r['directions']) as Direction[], reference: parse(r['reference']) as (number | null)[], created: String(r['created']) };
}

function trialOf(r: Row): TrialRecord {
  const objectives = parse(r['objectives']) as (number | null)[] | undefined;
  return {
    id: Number(r['id']),
    studyId: Number(r['study_id']),
    number: Number(r['number']),
    state: r['state'] as TrialState,
    reason: r['reason'] === null ? undefined : String(r['reason']),
    params: parse(r['params']) as Record<string, unknown>,
    spec: parse(r['spec']),
    objectives: objectives?.map(num),
    constraintViolation: r['violation'] === null ? undefined : Number(r['violation']),
    values: parse(r['measured']) as Record<string, number>,
    started: String(r['started']),
    finished: r['finished'] === null ? undefined : String(r['finished']),
    duration: r['duration'] === null ? undefined : Number(r['duration']),
    artifacts: parse(r['artifacts']) as Record<string, string>,
    attempts: Number(r['attempts']),
  };
}

function metricOf(r: Row): MetricRecord {
  return { trialId: Number(r['trial_id']), step: Number(r['step']), values: parse(r['measured']) as Record<string, number> };
}
