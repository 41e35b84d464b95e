import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { dataConfigSchema, parseDataConfig } from './config.ts';
import { size } from './dataset.ts';
import { fingerprint } from './fingerprint.ts';
import { idxBytes, npyBytes, tempFiles } from './fixtures.test-util.ts';
import { loadData } from './load.ts';
import { loadMnist } from './mnist.ts';

const t = tempFiles();
after(() => t.done());

describe('dataConfigSchema', () => {
  test('accepts each documented source form and fills defaults', () => {
    const forms = [
      'mnist',
      { type: 'idx', train: { images: 'a.idx3.gz', labels: 'b.idx1' }, test: { images: 'c', labels: 'd' } },
      { type: 'csv', train: 'train.csv', test: 'test.csv', label: 'label', shape: [28, 28, 1] },
      { type: 'csv', train: 'train.csv', label: 0 },
      { type: 'npy', train: { x: 'x.npy', y: 'y.npy' } },
    ];
    for (const source of forms) assert.ok(dataConfigSchema.safeParse({ source }).success, JSON.stringify(source));
    const cfg = parseDataConfig({ source: 'mnist', limit: 10000, testLimit: 2000, validation: 0.1, normalize: { mean: 0.1307, std: 0.3081 }, augment: { shift: 2 } });
    assert.equal(cfg.validation, 0.1);
    assert.equal(cfg.stratify, true);
    assert.deepEqual(parseDataConfig({ source: 'mnist' }).normalize, 'none');
  });

  test('unknown keys, bad values and bad sources name their key path', () => {
    const msg = (v: unknown) => {
      try {
        parseDataConfig(v);
      } catch (e) {
        return (e as Error).message;
      }
      return 'accepted';
    };
    assert.match(msg({ source: 'mnist', shuffle: true }), /^data: Unrecognized key: "shuffle"/);
    assert.match(msg({ source: { type: 'csv', train: 'a.csv', lable: 'y' } }), /^data\.source: Unrecognized key: "lable"/);
    assert.match(msg({ source: { type: 'idx', train: { images: 'a' } } }), /^data\.source\.train\.labels: /);
    assert.match(msg({ source: { type: 'parquet' } }), /^data\.source\.type: .*'idx'/);
    assert.match(msg({ source: 'mnst' }), /^data\.source: expected "mnist"/);
    assert.match(msg({ source: 'mnist', validation: 2.5 }), /^data\.validation: /);
    assert.match(msg({ source: 'mnist', normalize: 'zscore' }), /^data\.normalize: .*"standardize"/);
    assert.match(msg({ source: 'mnist', augment: { shift: -1 } }), /^data\.augment\.shift: /);
  });
});

describe('loadData', () => {
  test('mnist: limit -> stratified split -> scale; test kept apart; seeded', async () => {
    const cfg = { source: 'mnist', limit: 1000, testLimit: 200, validation: 0.1, normalize: 'scale', augment: { shift: 2 } } as const;
    const a = await loadData(cfg, { baseDir: t.dir, seed: 7 });
    assert.equal(size(a.train), 900);
    assert.equal(size(a.validation!), 100);
    assert.equal(size(a.test!), 200);
    assert.deepEqual(a.normalization, { kind: 'scale', mean: [0], std: [255] });
    assert.equal(a.test!.x.reduce((m, v) => Math.max(m, v), -Infinity), 1);
    assert.equal(a.train.x.reduce((m, v) => Math.min(m, v), Infinity), 0);
    assert.ok(a.augment);
    assert.equal(a.fingerprint, fingerprint(a.train));
    const b = await loadData(cfg, { baseDir: t.dir, seed: 7 });
    assert.equal(b.fingerprint, a.fingerprint);
    const c = await loadData(cfg, { baseDir: t.dir, seed: 8 });
    assert.notEqual(c.fingerprint, a.fingerprint);
  });

  test('standardize is fitted on the training split only and applied to the rest', async () => {
    const d = await loadData({ source: 'mnist', limit: 500, testLimit: 100, validation: 100, normalize: 'standardize' }, { baseDir: t.dir, seed: 1 });
    const { mean, std } = d.normalization;
    const raw = loadMnist('test', 100);
    for (const i of [0, 200, 350, 78399]) assert.ok(Math.abs(d.test!.x[i] - (raw.x[i] - mean[0]) / std[0]) < 1e-5);
    let s = 0;
    let q = 0;
    for (const v of d.train.x) {
      s += v;
      q += v * v;
    }
    const m = s / d.train.x.length;
    assert.ok(Math.abs(m) < 1e-4, `train mean ${m}`);
    assert.ok(Math.abs(q / d.train.x.length - m * m - 1) < 1e-3, 'train variance 1');
    let vs = 0;
    for (const v of d.validation!.x) vs += v;
    assert.ok(Math.abs(vs / d.validation!.x.length) > 1e-4, 'validation is not re-centred on itself');
  });

  test('CSV with relative paths, string labels, reshape and a test file', async () => {
    t.put('tr.csv', 'p0,p1,p2,p3,kind\n0,1,2,3,owl\n4,5,6,7,cat\n8,9,10,11,owl\n');
    t.put('te.csv', 'p0,p1,p2,p3,kind\n1,1,1,1,bat\n');
    const d = await loadData({ source: { type: 'csv', train: 'tr.csv', test: 'te.csv', label: 'kind', shape: [2, 2, 1] } }, { baseDir: t.dir, seed: 1 });
    assert.deepEqual(d.train.shape, [2, 2, 1]);
    assert.deepEqual(d.train.classNames, ['bat', 'cat', 'owl']);
    assert.deepEqual(Array.from(d.train.y), [2, 1, 2]);
    assert.deepEqual(Array.from(d.test!.y), [0]);
    assert.deepEqual(d.normalization.kind, 'none');
    assert.deepEqual(Array.from(d.train.x.subarray(4, 8)), [4, 5, 6, 7]);
  });

  test('IDX (gzip) and NPY sources through the config; numClasses widens the class list', async () => {
    t.put('i.idx3.gz', idxBytes(0x08, [2, 2, 2], [0, 51, 102, 255, 255, 0, 0, 0], true));
    t.put('l.idx1', idxBytes(0x08, [2], [1, 0]));
    const d = await loadData({ source: { type: 'idx', train: { images: 'i.idx3.gz', labels: 'l.idx1' }, numClasses: 5 }, normalize: 'scale' }, { baseDir: t.dir, seed: 1 });
    assert.equal(d.train.numClasses, 5);
    [0, 0.2, 0.4, 1].forEach((v, i) => assert.ok(Math.abs(d.train.x[i] - v) < 1e-7, `${d.train.x[i]} vs ${v}`));
    t.put('x.npy', npyBytes('<f4', [3, 2], [1, 2, 3, 4, 5, 6]));
    t.put('y.npy', npyBytes('<i8', [3], [0, 1, 1]));
    const n = await loadData({ source: { type: 'npy', train: { x: 'x.npy', y: 'y.npy' } }, normalize: { standardize: 'feature' } }, { baseDir: t.dir, seed: 1 });
    assert.deepEqual(n.normalization.mean, [3, 4]);
    assert.equal(n.test, undefined);
    assert.equal(n.validation, undefined);
  });
});
