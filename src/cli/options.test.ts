import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DistilleryError } from '../core/errors.ts';
import { choice, nonNegativeNumber, positiveInt, positiveNumber, positiveInts, requiredString } from './options.ts';

/** Asserts that `f` throws a DistilleryError with `code` whose message matches `message`. */
function throwsCode(f: () => unknown, code: string, message: RegExp): void {
  assert.throws(f, (e: unknown) => e instanceof DistilleryError && e.code === code && message.test(e.message) && e.hint !== undefined);
}

test('positiveInt reads a positive integer and names the flag when the value is not one', () => {
  assert.equal(positiveInt('threads', undefined), undefined);
  assert.equal(positiveInt('threads', '2'), 2);
  for (const bad of ['0', '-1', '2.5', 'two', '1,2', '']) {
    throwsCode(() => positiveInt('threads', bad), 'CLI_NUMBER', /^--threads .*: expected a positive integer$/);
  }
});

test('nonNegativeNumber reads a number >= 0 (zero and fractions too)', () => {
  assert.equal(nonNegativeNumber('warmup-ms', undefined), undefined);
  assert.equal(nonNegativeNumber('warmup-ms', '0'), 0);
  assert.equal(nonNegativeNumber('warmup-ms', '2.5'), 2.5);
  for (const bad of ['-1', 'x', '', 'Infinity']) {
    throwsCode(() => nonNegativeNumber('warmup-ms', bad), 'CLI_NUMBER', /^--warmup-ms .*: expected a number ≥ 0$/);
  }
  assert.equal(positiveNumber('finetune-lr', '5e-4'), 0.0005);
  throwsCode(() => positiveNumber('finetune-lr', '0'), 'CLI_NUMBER', /^--finetune-lr 0: expected a number > 0$/);
});

test('positiveInts reads a comma-separated list, spaces allowed', () => {
  assert.equal(positiveInts('batch', undefined), undefined);
  assert.deepEqual(positiveInts('batch', '1, 32'), [1, 32]);
  assert.deepEqual(positiveInts('batch', '8'), [8]);
  for (const bad of ['1,,32', '1,0', '1.5', 'a,b']) {
    throwsCode(() => positiveInts('batch', bad), 'CLI_NUMBER', /^--batch .*: expected positive integers separated by commas$/);
  }
});

test('choice accepts only the known values and lists them under the caller\'s code', () => {
  const known = ['onnx', 'tfjs'] as const;
  assert.equal(choice('format', 'format', undefined, known, 'EXPORT_FORMAT'), undefined);
  assert.equal(choice('format', 'format', 'tfjs', known, 'EXPORT_FORMAT'), 'tfjs');
  throwsCode(() => choice('format', 'format', 'onx', known, 'EXPORT_FORMAT'), 'EXPORT_FORMAT', /^--format onx: unknown format; known: onnx, tfjs$/);
  throwsCode(() => choice('format', 'format', true, known, 'EXPORT_FORMAT'), 'EXPORT_FORMAT', /unknown format/);
});

test('requiredString returns the value or says which flag is missing', () => {
  assert.equal(requiredString('out', 'table.json', 'table.json'), 'table.json');
  throwsCode(() => requiredString('out', undefined, 'table.json'), 'CLI_OPTION_REQUIRED', /^--out is required$/);
});
