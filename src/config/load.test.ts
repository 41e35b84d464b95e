import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { applyOverrides, readConfigFile, validateConfig } from './load.ts';
import { DistilleryError } from '../core/errors.ts';

const schema = z
  .object({
    train: z.object({ epochs: z.number().int().positive(), optimizer: z.object({ lr: z.number() }).strict() }).strict(),
  })
  .strict();

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof DistilleryError, String(e));
    return `${e.code} ${e.where}`;
  }
  return 'no error';
}

test('unknown key and wrong type name the key path', () => {
  assert.equal(codeOf(() => validateConfig(schema, { train: { epochs: 2, optimizer: { lr: 0.1, lrr: 1 } } })), 'CONFIG_INVALID train.optimizer.lrr');
  assert.equal(codeOf(() => validateConfig(schema, { train: { epochs: 'x', optimizer: { lr: 0.1 } } })), 'CONFIG_INVALID train.epochs');
  assert.deepEqual(validateConfig(schema, { train: { epochs: 2, optimizer: { lr: 0.1 } } }), { train: { epochs: 2, optimizer: { lr: 0.1 } } });
});

test('--set overrides parse YAML values and create paths', () => {
  const c = applyOverrides({ train: { epochs: 2 }, model: { blocks: [{ units: 5 }] } }, [
    'train.epochs=7',
    'train.optimizer={type: adam, lr: 0.001}',
    'model.blocks.0.units=64',
    'name=run one',
  ]);
  assert.deepEqual(c, {
    train: { epochs: 7, optimizer: { type: 'adam', lr: 0.001 } },
    model: { blocks: [{ units: 64 }] },
    name: 'run one',
  });
  assert.equal(codeOf(() => applyOverrides({}, ['noequals'])), 'CONFIG_SET undefined');
});

test('config files: YAML, JSON, parse errors and missing files', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'distillery-cfg-'));
  writeFileSync(join(dir, 'a.yaml'), 'train:\n  epochs: 3\n');
  writeFileSync(join(dir, 'b.json'), '{"train": {"epochs": 4}}');
  writeFileSync(join(dir, 'bad.yaml'), 'train: [1, 2\n');
  writeFileSync(join(dir, 'list.yaml'), '- 1\n- 2\n');
  assert.deepEqual((await readConfigFile(join(dir, 'a.yaml'))).value, { train: { epochs: 3 } });
  assert.deepEqual((await readConfigFile(join(dir, 'b.json'))).value, { train: { epochs: 4 } });
  await assert.rejects(readConfigFile(join(dir, 'bad.yaml')), (e: DistilleryError) => e.code === 'CONFIG_PARSE');
  await assert.rejects(readConfigFile(join(dir, 'list.yaml')), (e: DistilleryError) => e.code === 'CONFIG_PARSE');
  await assert.rejects(readConfigFile(join(dir, 'nope.yaml')), (e: DistilleryError) => e.code === 'CONFIG_NOT_FOUND');
});
