import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { isDistilleryError } from '../core/errors.ts';
import { openStore } from './sqlite.ts';
import { storeConformance } from './conformance.test-util.ts';

const dir = mkdtempSync(join(tmpdir(), 'distillery-store-'));
let n = 0;

storeConformance('sqlite', async () => {
  const file = join(dir, `s${n++}.db`);
  return { store: await openStore(file), reopen: () => openStore(file, { mustExist: true }) };
});

test('files that are not study stores: STORE_FORMAT, and the file is left byte for byte', async () => {
  const text = join(dir, 'notes.db');
  writeFileSync(text, 'hello, not a database\n');
  const foreign = join(dir, 'foreign.db');
  const db = new Database(foreign);
  db.exec('CREATE TABLE people (name TEXT); INSERT INTO people VALUES (\'ada\');');
  db.close();
  const versioned = join(dir, 'v99.db');
  const s = await openStore(versioned);
  await s.close();
  const v = new Database(versioned);
  v.prepare("UPDATE meta SET value = '99' WHERE key = 'schema_version'").run();
  v.pragma('wal_checkpoint(TRUNCATE)');
  v.close();
  for (const [file, why] of [[text, /not an SQLite file/], [foreign, /without the study tables/], [versioned, /schema version 99/]] as const) {
    const before = readFileSync(file);
    for (const opts of [{}, { readonly: true }]) {
      await assert.rejects(openStore(file, opts), (e) => isDistilleryError(e) && e.code === 'STORE_FORMAT' && why.test(e.message) && e.message.startsWith(file));
    }
    assert.deepEqual(readFileSync(file), before, `${file} unchanged`);
  }
  await assert.rejects(openStore(join(dir, 'missing.db'), { mustExist: true }), (e) => isDistilleryError(e) && e.code === 'STORE_NOT_FOUND');
});

test('read-only mode reads everything and refuses writes; the store is in WAL mode', async () => {
  const file = join(dir, 'ro.db');
  const w = await openStore(file);
  const st = await w.createStudy({ name: 'x', config: { a: 1 }, objectives: ['accuracy'], directions: ['max'] });
  await w.addTrials(st.id, [{ params: { a: 1 } }]);
  const ro = await openStore(file, { readonly: true });
  assert.equal((await ro.listTrials(st.id)).length, 1);
  await assert.rejects(ro.addTrials(st.id, [{ params: {} }]), (e) => isDistilleryError(e) && e.code === 'STORE_READONLY');
  await ro.close();
  await w.close();
  const raw = new Database(file, { readonly: true });
  assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
  raw.close();
});
