import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { DistilleryError } from '../core/errors.ts';
import { Rng } from '../core/rng.ts';
import { readCsvPart } from './csv.ts';
import { idxBytes, npyBytes, fails, tempFiles } from './fixtures.test-util.ts';
import { readIdx, readIdxPart } from './idx.ts';
import { labelParts } from './labels.ts';
import { loadData, reshape } from './load.ts';
import { readNpy, readNpyPart } from './npy.ts';
import { split } from './ops.ts';

const t = tempFiles();
after(() => t.done());


describe('file errors', () => {
  test('DATA_NOT_FOUND names the missing path', () => {
    const p = `${t.dir}/nope.idx`;
    const e = fails(() => readIdx(p), 'DATA_NOT_FOUND', p, 'no such file');
    assert.equal(e.where, p);
  });

  test('DATA_EMPTY for a 0-byte file and for a CSV with only a header', () => {
    fails(() => readIdx(t.put('empty.idx', '')), 'DATA_EMPTY', 'empty.idx');
    fails(() => readCsvPart(t.put('head.csv', 'a,label\n\n')), 'DATA_EMPTY', 'head.csv', 'no data rows');
    fails(() => readIdx(t.put('zero.idx', idxBytes(0x08, [0, 28, 28], []))), 'DATA_EMPTY', 'zero.idx', 'no samples');
    fails(() => readNpy(t.put('zero.npy', npyBytes('<f4', [0, 3], []))), 'DATA_EMPTY', 'zero.npy', 'no rows');
  });

  test('DATA_IDX_SHAPE for an IDX file whose sample dimensions include a 0 (samples of no values)', () => {
    const e = fails(() => readIdx(t.put('flat.idx', idxBytes(0x08, [3, 0, 28], []))), 'DATA_IDX_SHAPE', 'flat.idx', 'dimension 1', 'dims 3x0x28');
    assert.ok(e.where?.endsWith('flat.idx'));
    const lab = t.put('flat-labels.idx1', idxBytes(0x08, [3], [0, 1, 2]));
    fails(() => readIdxPart(t.put('flat2.idx3', idxBytes(0x08, [3, 28, 0], [])), lab), 'DATA_IDX_SHAPE', 'flat2.idx3', 'dimension 2');
  });

  test('DATA_IDX_MAGIC for a file that is not IDX, and for swapped images/labels', () => {
    fails(() => readIdx(t.put('text.idx', 'hello world, not idx')), 'DATA_IDX_MAGIC', 'text.idx', '0x68656c6c');
    const img = t.put('m.idx3', idxBytes(0x08, [2, 1, 1], [1, 2]));
    const lab = t.put('m.idx1', idxBytes(0x08, [2], [0, 1]));
    fails(() => readIdxPart(lab, img), 'DATA_IDX_MAGIC', 'expected 2 or more');
  });

  test('DATA_TRUNCATED for a short IDX body and a cut gzip stream', () => {
    const full = idxBytes(0x08, [3, 2, 2], new Array(12).fill(1));
    fails(() => readIdx(t.put('short.idx', full.subarray(0, full.length - 1))), 'DATA_TRUNCATED', 'short.idx', '3x2x2');
    const gz = gzipSync(full);
    fails(() => readIdx(t.put('cut.gz', gz.subarray(0, gz.length - 6))), 'DATA_TRUNCATED', 'cut.gz');
  });

  test('DATA_COUNT_MISMATCH when images and labels disagree', () => {
    const img = t.put('c.idx3', idxBytes(0x08, [3, 1, 1], [1, 2, 3]));
    const lab = t.put('c.idx1', idxBytes(0x08, [2], [0, 1]));
    fails(() => readIdxPart(img, lab), 'DATA_COUNT_MISMATCH', 'c.idx3', '3 samples', '2 labels');
    const x = t.put('c.npy', npyBytes('<f4', [3, 1], [1, 2, 3]));
    const y = t.put('cy.npy', npyBytes('<i4', [4], [0, 1, 0, 1]));
    fails(() => readNpyPart(x, y), 'DATA_COUNT_MISMATCH', '4 labels');
  });
});

describe('value errors', () => {
  test('DATA_CSV_RAGGED gives the line number', () => {
    fails(() => readCsvPart(t.put('r.csv', 'a,b,label\n1,2,0\n\n3,4\n')), 'DATA_CSV_RAGGED', 'r.csv', 'line 4', '2 fields', 'header has 3');
  });

  test('DATA_CSV_NUMBER gives line, column and the cell; empty cells too', () => {
    fails(() => readCsvPart(t.put('n.csv', 'a,b,label\n1,2,0\n1,x7,1\n')), 'DATA_CSV_NUMBER', 'n.csv', 'line 3 column 2 (b)', '"x7"');
    fails(() => readCsvPart(t.put('e.csv', 'a,b,label\n1, ,0\n')), 'DATA_CSV_NUMBER', 'line 2 column 2', 'empty');
  });

  test('DATA_NAN in a CSV cell, an NPY float and an IDX float', () => {
    fails(() => readCsvPart(t.put('nan.csv', 'a,label\n1,0\nNaN,1\n')), 'DATA_NAN', 'nan.csv', 'line 3 column 1');
    fails(() => readCsvPart(t.put('inf.csv', 'a,label\n-Infinity,1\n')), 'DATA_NAN', 'line 2');
    fails(() => readCsvPart(t.put('ovf.csv', 'label,a,b\n0,1,2\n1,3,-1e39\n')), 'DATA_NAN', 'line 3 column 3 (b)');
    fails(() => readNpy(t.put('nan.npy', npyBytes('<f8', [2, 2], [1, 2, 3, NaN]))), 'DATA_NAN', 'nan.npy', 'row 1 value 1');
    // 1e39 fits a float64 but overflows float32: it must not slip in as Infinity.
    fails(() => readNpy(t.put('big.npy', npyBytes('<f8', [1, 2], [1e39, 0]))), 'DATA_NAN', 'row 0 value 0');
    fails(() => readIdx(t.put('inf.idx', idxBytes(0x0d, [2, 1], [0, Infinity]))), 'DATA_NAN', 'inf.idx', 'sample 1');
  });

  test('DATA_LABEL_RANGE for fractional, negative and too-large labels', () => {
    fails(() => labelParts([readCsvPart(t.put('f.csv', 'a,label\n1,0\n2,1.5\n'))]), 'DATA_LABEL_RANGE', 'f.csv', 'line 3', '1.5');
    fails(() => readCsvPart(t.put('nolab.csv', 'a,label\n1,0\n2, \n')), 'DATA_LABEL_RANGE', 'line 3', 'empty label');
    const x = t.put('l.npy', npyBytes('<f4', [2, 1], [1, 2]));
    fails(() => labelParts([readNpyPart(x, t.put('neg.npy', npyBytes('<i4', [2], [0, -1])))]), 'DATA_LABEL_RANGE', 'neg.npy', 'row 1', '-1');
    const img = t.put('r.idx3', idxBytes(0x08, [2, 1, 1], [1, 2]));
    const lab = t.put('r.idx1', idxBytes(0x08, [2], [3, 10]));
    fails(() => labelParts([readIdxPart(img, lab)], 10), 'DATA_LABEL_RANGE', 'r.idx1', 'label 1', '[0, 10)');
  });

  test('DATA_NPY_FORMAT for bad magic, Fortran order and unsupported dtypes', () => {
    fails(() => readNpy(t.put('bad.npy', 'PK\x03\x04 this is a zip')), 'DATA_NPY_FORMAT', 'bad.npy', 'NUMPY');
    const f = fails(() => readNpy(t.put('fo.npy', npyBytes('<f4', [2, 2], [1, 2, 3, 4], true))), 'DATA_NPY_FORMAT', 'fo.npy', 'Fortran');
    assert.match(f.hint ?? '', /ascontiguousarray/);
    const c8 = Buffer.from(npyBytes('<f4', [1, 2], [0, 0]));
    c8.write("'<c8'", c8.indexOf("'<f4'"), 'latin1');
    fails(() => readNpy(t.put('c8.npy', c8)), 'DATA_NPY_FORMAT', "'<c8'");
  });
});

describe('dataset and config errors', () => {
  test('DATA_CSV_LABEL lists the columns', () => {
    fails(() => readCsvPart(t.put('nl.csv', 'a,b,c\n1,2,3\n'), { label: 'target' }), 'DATA_CSV_LABEL', "named 'target'", 'columns: a, b, c');
    fails(() => readCsvPart(t.put('nl2.csv', 'a,b\n1,2\n'), { label: 5 }), 'DATA_CSV_LABEL', 'at index 5');
  });

  test('DATA_SHAPE when a reshape does not fit', () => {
    const [ds] = labelParts([readCsvPart(t.put('s.csv', 'a,b,c,label\n1,2,3,0\n'))]);
    fails(() => reshape(ds, [2, 2, 1]), 'DATA_SHAPE', '3 values', '[2, 2, 1]');
  });

  test('DATA_SPLIT when validation leaves nothing to train on', () => {
    const [ds] = labelParts([readCsvPart(t.put('v.csv', 'a,label\n1,0\n2,1\n3,0\n'))]);
    fails(() => split(ds, 3, new Rng(1)), 'DATA_SPLIT', 'data.validation 3', 'no training sample');
    fails(() => split(ds, 0.01, new Rng(1)), 'DATA_SPLIT', 'no validation sample');
  });

  test('loadData names the config key for a bad config, and the file for a missing one', async () => {
    await assert.rejects(loadData({ source: 'mnist', limit: 0 } as never, { baseDir: t.dir, seed: 1 }), (e: DistilleryError) => {
      assert.equal(e.code, 'CONFIG_INVALID');
      assert.match(e.message, /^data\.limit: /);
      return true;
    });
    await assert.rejects(loadData({ source: { type: 'csv', train: 'missing/train.csv' } }, { baseDir: t.dir, seed: 1 }), (e: DistilleryError) => {
      assert.equal(e.code, 'DATA_NOT_FOUND');
      assert.ok(e.message.includes(`${t.dir}/missing/train.csv`), e.message);
      return true;
    });
  });
});
