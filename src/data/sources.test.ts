import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { readCsvPart, scanNumber } from './csv.ts';
import { size } from './dataset.ts';
import { idxBytes, npyBytes, tempFiles } from './fixtures.test-util.ts';
import { readIdx, readIdxPart } from './idx.ts';
import { labelParts } from './labels.ts';
import { loadMnist } from './mnist.ts';
import { readNpy, readNpyPart } from './npy.ts';

const t = tempFiles();
after(() => t.done());

describe('IDX', () => {
  test('decodes every IDX element type, big-endian', () => {
    const cases: [number, number[]][] = [
      [0x08, [0, 1, 255, 7]],
      [0x09, [-128, -1, 0, 127]],
      [0x0b, [-30000, -1, 2, 32767]],
      [0x0c, [-2147483648, -5, 70000, 2147483647]],
      [0x0d, [-1.5, 0.25, 3e5, 1e-3]],
      [0x0e, [-1e300, 0.1, 2, 1e-300]],
    ];
    for (const [type, values] of cases) {
      const p = t.put(`t${type}.idx`, idxBytes(type, [2, 2], values));
      const a = readIdx(p, { wide: true });
      assert.deepEqual(a.dims, [2, 2]);
      assert.deepEqual(Array.from(a.data), type === 0x0d ? values.map(Math.fround) : values, `type 0x${type.toString(16)}`);
    }
  });

  test('gzip is detected by magic, whatever the name; images get a channel axis', () => {
    const img = Array.from({ length: 3 * 2 * 4 }, (_, i) => i * 10);
    const ip = t.put('imgs.bin', idxBytes(0x08, [3, 2, 4], img, true));
    const lp = t.put('labels.gz', idxBytes(0x08, [3], [2, 0, 1]));
    const [ds] = labelParts([readIdxPart(ip, lp)]);
    assert.deepEqual(ds.shape, [2, 4, 1]);
    assert.deepEqual(Array.from(ds.x), img);
    assert.deepEqual(Array.from(ds.y), [2, 0, 1]);
    assert.equal(ds.numClasses, 3);
    assert.deepEqual(ds.classNames, ['0', '1', '2']);
    assert.deepEqual(ds.valueRange, [0, 255]);
  });

  test('a limit reads only the first samples', () => {
    const ip = t.put('lim.idx3', idxBytes(0x08, [4, 1, 2], [1, 2, 3, 4, 5, 6, 7, 8]));
    const lp = t.put('lim.idx1', idxBytes(0x08, [4], [3, 2, 1, 0]));
    const part = readIdxPart(ip, lp, 2);
    assert.deepEqual(Array.from(part.x), [1, 2, 3, 4]);
    assert.equal(part.labels.values.length, 2);
  });
});

describe('CSV', () => {
  test('numeric labels by name; features in column order; blank lines and CRLF', () => {
    const p = t.put('a.csv', 'f1,label,f2\r\n1.5,2,-3\r\n\r\n4,0,5e1\r\n');
    const [ds] = labelParts([readCsvPart(p)]);
    assert.deepEqual(ds.shape, [2]);
    assert.deepEqual(Array.from(ds.x), [1.5, -3, 4, 50]);
    assert.deepEqual(Array.from(ds.y), [2, 0]);
    assert.equal(ds.numClasses, 3);
  });

  test('string labels map to sorted class names shared by train and test; label by negative index', () => {
    const tr = t.put('tr.csv', 'a,b,kind\n1,2,dog\n3,4,cat\n5,6,"bird, small"\n');
    const te = t.put('te.csv', 'a,b,kind\n7,8,eel\n9,10,cat\n');
    const [a, b] = labelParts([readCsvPart(tr, { label: -1 }), readCsvPart(te, { label: 2 })]);
    assert.deepEqual(a.classNames, ['bird, small', 'cat', 'dog', 'eel']);
    assert.deepEqual(Array.from(a.y), [2, 1, 0]);
    assert.deepEqual(Array.from(b.y), [3, 1]);
    assert.equal(b.numClasses, 4);
  });

  test('cells parse exactly as Number() parses them, on the byte path and the quoted path', () => {
    let seed = 12345;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const digits = (n: number) => Array.from({ length: n }, () => Math.floor(rnd() * 10)).join('');
    const forms = [
      () => digits(1 + Math.floor(rnd() * 6)),
      () => `-${digits(1 + Math.floor(rnd() * 3))}.${digits(1 + Math.floor(rnd() * 14))}`,
      () => `${digits(1 + Math.floor(rnd() * 17))}.${digits(Math.floor(rnd() * 4))}`,
      () => `${digits(2)}.${digits(3)}e${rnd() < 0.5 ? '-' : '+'}${Math.floor(rnd() * 30)}`,
      () => ` +.${digits(5)} `,
      () => `${digits(3)}.`,
      () => '-0',
      () => `0x${Math.floor(rnd() * 255).toString(16)}`,
      () => `1E${Math.floor(rnd() * 30)}`,
    ];
    const cells = Array.from({ length: 3000 }, (_, i) => forms[i % forms.length]());
    const rows = ['a,b,c,label'];
    for (let i = 0; i < cells.length; i += 3) rows.push(`${cells[i]},${cells[i + 1]},${cells[i + 2]},0`);
    const want = Float32Array.from(cells, Number);
    // The fast parser either gives up (NaN) or agrees with Number() to the last float64 bit.
    let fast = 0;
    for (const c of cells) {
      const v = scanNumber(Buffer.from(c), 0, c.length);
      if (v === v) {
        fast++;
        assert.ok(Object.is(v, Number(c)), `${c}: ${v} vs ${Number(c)}`);
      }
    }
    assert.ok(fast > 2000, `${fast} of 3000 cells took the fast path`);
    assert.deepEqual(readCsvPart(t.put('num.csv', rows.join('\n'))).x, want);
    rows[0] = '"a",b,c,label';
    assert.deepEqual(readCsvPart(t.put('numq.csv', rows.join('\n'))).x, want);
  });

  test('a limit stops after N rows', () => {
    const p = t.put('lim.csv', 'x,label\n1,0\n2,1\n3,0\n');
    assert.deepEqual(Array.from(readCsvPart(p, { limit: 2 }).x), [1, 2]);
  });
});

describe('NPY', () => {
  test('float32 features and int64 labels', () => {
    const x = t.put('x.npy', npyBytes('<f4', [2, 3], [1.5, -2, 3, 4, 5, 6.25]));
    const y = t.put('y.npy', npyBytes('<i8', [2], [1, 0]));
    const [ds] = labelParts([readNpyPart(x, y)]);
    assert.deepEqual(ds.shape, [3]);
    assert.deepEqual(Array.from(ds.x), [1.5, -2, 3, 4, 5, 6.25]);
    assert.deepEqual(Array.from(ds.y), [1, 0]);
    assert.equal(ds.valueRange, undefined);
  });

  test('big-endian int16, uint8 images (n, h, w) -> [h, w, 1], labels (n, 1) as float64', () => {
    assert.deepEqual(Array.from(readNpy(t.put('be.npy', npyBytes('>i2', [2, 2], [-300, 2, 3, 32767]))).data), [-300, 2, 3, 32767]);
    const x = t.put('img.npy', npyBytes('|u1', [2, 2, 2], [0, 30, 60, 90, 120, 150, 180, 210]));
    const y = t.put('ycol.npy', npyBytes('<f8', [2, 1], [0, 1]));
    const part = readNpyPart(x, y, 1);
    assert.deepEqual(part.shape, [2, 2, 1]);
    assert.deepEqual(Array.from(part.x), [0, 30, 60, 90]);
    assert.deepEqual(part.valueRange, [0, 255]);
  });

  test('every integer width decodes, signed and unsigned', () => {
    const cases: [string, number[]][] = [
      ['<u2', [0, 1, 200, 65535]],
      ['<u4', [0, 1, 200, 4e9]],
      ['<i4', [-2e9, 0, 1, 2e9]],
      ['>i4', [-2e9, 0, 1, 2e9]],
      ['|i1', [-128, 0, 1, 127]],
    ];
    cases.forEach(([d, vals], i) => {
      assert.deepEqual(Array.from(readNpy(t.put(`w${i}.npy`, npyBytes(d, [4], vals)), { wide: true }).data), vals, d);
    });
  });
});

describe('built-in MNIST', () => {
  test('the genuine test set: 10,000 images, first labels and class counts', () => {
    const ds = loadMnist('test');
    assert.equal(size(ds), 10000);
    assert.deepEqual(ds.shape, [28, 28, 1]);
    assert.deepEqual(Array.from(ds.y.subarray(0, 10)), [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
    const counts = new Array(10).fill(0);
    for (const l of ds.y) counts[l]++;
    assert.deepEqual(counts, [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
    let max = 0;
    for (const v of ds.x) if (v > max) max = v;
    assert.equal(max, 255);
  });

  test('a limited training set matches the start of the full one', () => {
    const small = loadMnist('train', 100);
    assert.equal(size(small), 100);
    assert.deepEqual(Array.from(small.y.subarray(0, 10)), [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
    // Pixel sum of the first training image (a 5), a known constant of MNIST.
    let s = 0;
    for (let i = 0; i < 784; i++) s += small.x[i];
    assert.equal(s, 27525);
  });
});
