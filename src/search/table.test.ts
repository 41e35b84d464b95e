import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { isDistilleryError } from '../core/errors.ts';
import { SearchSpace } from './space.ts';
import { strategies } from './strategies/index.ts';
import { parseObjectives, readTable, TableEvaluator } from './table.ts';

const root = join(import.meta.dirname, '../..');

test('a table with one column per parameter, quoted fields, and clear errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'distillery-table-'));
  try {
    const file = join(dir, 't.csv');
    writeFileSync(file, 'op,width,acc,"lat, ms"\nconv,8,0.9,2\nconv,16,0.95,3\npool,8,0.5,1\npool,16,,1\n');
    const t = readTable(file);
    assert.deepEqual(t.columns, ['op', 'width', 'acc', 'lat, ms']);
    const space = new SearchSpace({ params: { op: { choice: ['conv', 'pool'] }, width: { choice: [8, 16] } } });
    const ev = new TableEvaluator(t, space, parseObjectives('acc:max, width:min', t));
    assert.deepEqual(ev.evaluate({ op: 'conv', width: 16 }).objectives, [0.95, 16]);
    assert.equal(ev.evaluate({ op: 'pool', width: 16 }).objectives, undefined); // empty cell: failed
    assert.throws(() => parseObjectives('acc', t), (e) => isDistilleryError(e) && e.code === 'TABLE_OBJECTIVE');
    assert.throws(() => parseObjectives('accuracy:max', t), (e) => isDistilleryError(e) && /columns: op, width, acc/.test(e.hint ?? ''));
    assert.throws(() => new TableEvaluator(t, space, [], { arch: '${op}' }), (e) => isDistilleryError(e) && e.code === 'TABLE_COLUMN');
    writeFileSync(file, 'a,b\n1,2\n3\n');
    assert.throws(() => readTable(file), (e) => isDistilleryError(e) && e.where === `${file}:3`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('NAS-Bench-201 from its table: every cell maps to one row, and a search reads its objectives', () => {
  const doc = parseYaml(readFileSync(join(root, 'examples/spaces/nb201.yaml'), 'utf8')) as { space: unknown; table: { keys: Record<string, string> } };
  const space = new SearchSpace(doc.space);
  const table = readTable(join(root, 'bench/data/nb201-cifar10.csv'));
  assert.equal(table.rows, 15625);
  const ev = new TableEvaluator(table, space, parseObjectives('c10_valid_200ep:max,lat_ms_pixel3:min', table), doc.table.keys);
  const rows = new Set(space.grid().map((c) => ev.row(c)));
  assert.equal(rows.size, 15625);
  // row 1 of the CSV, by hand: |nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|
  const c = { e10: 'nor_conv_3x3', e20: 'nor_conv_3x3', e21: 'avg_pool_3x3', e30: 'skip_connect', e31: 'nor_conv_3x3', e32: 'skip_connect' };
  assert.deepEqual(ev.evaluate(c).objectives, [90.769333, 17.2381]);
  const s = strategies.get('evolution')(space, { seed: 1, directions: ['max', 'min'] });
  for (let i = 0; i < 30; i++) {
    const x = s.ask();
    s.tell(x, ev.evaluate(x));
  }
  assert.equal((s.state().history as unknown[]).length, 30);
});
