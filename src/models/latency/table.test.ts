import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveSpec } from '../index.ts';
import { blockInstances, blockKey } from './blocks.ts';
import { emptyOf, fitEmpty, fitKinds, fitOverhead, predictBlockSum, predictLatency, readLatencyTable, ridge, type LatencyTable, type TableEntry } from './table.ts';
import { kernelFeatureNames } from './kernels.ts';

const spec = resolveSpec({ input: [8, 8, 1], blocks: [{ type: 'conv2d', filters: 4 }, { type: 'maxpool' }, { type: 'flatten' }] }, { numClasses: 10 });
const inst = blockInstances(spec);

function table(entries: Record<string, TableEntry>, extra: Partial<LatencyTable> = {}): LatencyTable {
  return {
    version: 2, runtime: 'onnx', threads: 1, batch: 1, device: { cpus: 1, cpuModel: 'test', platform: 'test' }, createdAt: '',
    entries, emptyMs: {}, emptyFit: [0.5, 0.01], fits: fitKinds(entries), scale: 2, kindScales: {}, overheadMs: 0.25, ...extra,
  };
}

test('block keys: one key per block whatever defaults were written, and input shapes chain', () => {
  assert.equal(blockKey({ type: 'maxpool', size: 2, stride: 2, padding: 'valid' }, [28, 28, 8]), 'maxpool(padding=valid,size=2,stride=2)@28x28x8');
  const spelled = resolveSpec({ input: [8, 8, 1], blocks: [{ type: 'conv2d', filters: 4, kernel: 3, stride: 1, padding: 'same', activation: 'relu' }, { type: 'maxpool', size: 2 }, { type: 'flatten' }] }, { numClasses: 10 });
  assert.deepEqual(blockInstances(spelled).map((b) => b.key), inst.map((b) => b.key));
  assert.deepEqual(inst.map((b) => b.inShape), [[8, 8, 1], [8, 8, 4], [4, 4, 4], [64]]);
  assert.equal(inst[3]!.macs, 640);
});

test('predictLatency = scale · Σ entries + empty cost at the output size + overhead', () => {
  const entries: Record<string, TableEntry> = {};
  inst.forEach((b, i) => (entries[b.key] = { type: b.block.type, ms: i + 1, macs: b.macs, elems: 0, params: 0 }));
  const p = predictLatency(spec, table(entries));
  // Σ = 1 + 2 + 3 + 4 = 10; empty at [10] = 0.5 + 0.01 · 10 = 0.6
  assert.ok(Math.abs(p.ms - (2 * 10 + 0.6 + 0.25)) < 1e-12, String(p.ms));
  assert.equal(p.missing, 0);
  assert.deepEqual(p.blocks.map((b) => b.source), ['table', 'table', 'table', 'table']);
});

test('a block missing from the table is estimated by its kind\'s linear fit in MACs', () => {
  // dense entries on an exact line ms = 0.1 + 1e-3 · MACs (elems, params constant 0)
  const entries: Record<string, TableEntry> = {};
  for (const m of [100, 300, 500, 900]) entries[`dense@${m}`] = { type: 'dense', ms: 0.1 + 1e-3 * m, macs: m, elems: 0, params: 0 };
  const t = table(entries, { scale: 1, overheadMs: 0, emptyFit: [0, 0] });
  const p = predictLatency(resolveSpec({ input: [64], blocks: [{ type: 'dense', units: 10 }] }), t);
  assert.equal(p.missing, 1);
  assert.ok(Math.abs(p.ms - (0.1 + 1e-3 * 640)) < 1e-3, String(p.ms));
});

test('ridge, fitOverhead and fitEmpty recover exact lines', () => {
  const w = ridge([[1, 0], [1, 1], [1, 2]], [1, 3, 5], 0);
  assert.ok(Math.abs(w[0]! - 1) < 1e-12 && Math.abs(w[1]! - 2) < 1e-12);
  const f = fitOverhead([1, 2, 4, 8], [1.7, 3.2, 6.2, 12.2]);
  assert.ok(Math.abs(f.scale - 1.5) < 1e-9 && Math.abs(f.overheadMs - 0.2) < 1e-9, JSON.stringify(f));
  // with a known base per model the fit explains only the rest
  const g = fitOverhead([1, 2, 4], [2.7, 4.2, 7.2], [1, 1, 1]);
  assert.ok(Math.abs(g.scale - 1.5) < 1e-9 && Math.abs(g.overheadMs - 0.2) < 1e-9, JSON.stringify(g));
  assert.deepEqual(fitOverhead([3, 3, 3], [4, 4, 4]), { scale: 1, overheadMs: 1 });
  const e = fitEmpty({ '10': 0.02, '4x4x4': 0.074, '8x8x4': 0.266 });
  assert.ok(Math.abs(e[0] - 0.01) < 1e-9 && Math.abs(e[1] - 1e-3) < 1e-12, JSON.stringify(e));
  assert.ok(Math.abs(emptyOf([8, 8, 4], { emptyFit: e }) - 0.266) < 1e-9);
});

test('readLatencyTable: round trip, and a clear error for a file that is not a table', () => {
  const dir = mkdtempSync(join(tmpdir(), 'distillery-table-'));
  const t = table({});
  writeFileSync(join(dir, 't.json'), JSON.stringify(t));
  assert.deepEqual(readLatencyTable(join(dir, 't.json')), t);
  writeFileSync(join(dir, 'bad.json'), '{"entries": {}}');
  assert.throws(() => readLatencyTable(join(dir, 'bad.json')), { code: 'PREDICT_TABLE' });
  assert.throws(() => readLatencyTable(join(dir, 'none.json')), { code: 'PREDICT_TABLE' });
  // a kernel model from another feature set is refused, not silently misread
  writeFileSync(join(dir, 'old.json'), JSON.stringify({ ...t, kernels: { runtime: 'onnx', features: ['fixed', 'input'], coef: [1, 2], n: 9, fitMedianAbsPct: 1, fitP90AbsPct: 2 } }));
  assert.throws(() => readLatencyTable(join(dir, 'old.json')), (e: Error & { code?: string }) => e.code === 'PREDICT_TABLE' && /kernel model/.test(e.message));
  // a kernel model fitted without the fusion features (fused activations, BN/pool after one) is refused too
  const before = kernelFeatureNames().filter((n) => !/fused|heavy|afterAct/.test(n));
  writeFileSync(join(dir, 'nofused.json'), JSON.stringify({ ...t, kernels: { runtime: 'onnx', features: before, coef: before.map(() => 0), n: 9, fitMedianAbsPct: 1, fitP90AbsPct: 2 } }));
  assert.throws(() => readLatencyTable(join(dir, 'nofused.json')), (e: Error & { code?: string }) => e.code === 'PREDICT_TABLE' && /fused\.elems/.test(e.message));
  // a version 1 table timed models as built in memory, not as loaded: refused, saying to profile again
  writeFileSync(join(dir, 'v1.json'), JSON.stringify({ ...t, version: 1 }));
  assert.throws(() => readLatencyTable(join(dir, 'v1.json')), (e: Error & { code?: string; hint?: string }) => e.code === 'PREDICT_TABLE' && /version 1/.test(e.message) && /profile-device/.test(e.hint ?? ''));
});

test('with a kernel model in the table, predictLatency predicts from the fused kernels; the block sum stays the baseline', () => {
  const entries: Record<string, TableEntry> = {};
  inst.forEach((b, i) => (entries[b.key] = { type: b.block.type, ms: i + 1, macs: b.macs, elems: 0, params: 0 }));
  // 0.01 ms per inference, 0.002 ms per conv dispatch, 1e-6 ms per conv MAC; nothing else
  const names = kernelFeatureNames();
  const coef = names.map((n) => ({ fixed: 0.01, 'conv.count': 0.002, 'conv.macs': 1e-6 } as Record<string, number>)[n] ?? 0);
  const t = table(entries, { kernels: { runtime: 'onnx', features: names, coef, n: 10, fitMedianAbsPct: 0, fitP90AbsPct: 0 } });
  // the spec: conv 8x8x1 -> 4 filters 3x3 (2304 MACs), maxpool, flatten, dense: one conv kernel
  const p = predictLatency(spec, t);
  assert.ok(Math.abs(p.ms - (0.01 + 0.002 + 2304e-6)) < 1e-12, String(p.ms));
  assert.equal(p.blocks.length, 4);
  assert.ok(Math.abs(predictBlockSum(spec, t) - (2 * 10 + 0.6 + 0.25)) < 1e-12);
});

test('a kernel model with block features adds each kind\'s summed table latency, and a table must name them', () => {
  const entries: Record<string, TableEntry> = {};
  inst.forEach((b, i) => (entries[b.key] = { type: b.block.type, ms: i + 1, macs: b.macs, elems: 0, params: 0 }));
  const names = [...kernelFeatureNames(), 'block.conv2d', 'block.maxpool'];
  // 0.01 ms per inference; half the conv2d block's lone 1 ms, a quarter of the maxpool's 2 ms
  const coef = names.map((n) => ({ fixed: 0.01, 'block.conv2d': 0.5, 'block.maxpool': 0.25 } as Record<string, number>)[n] ?? 0);
  const t = table(entries, { kernels: { runtime: 'onnx', features: names, blockKinds: ['conv2d', 'maxpool'], coef, n: 10, fitMedianAbsPct: 0, fitP90AbsPct: 0 } });
  assert.ok(Math.abs(predictLatency(spec, t).ms - (0.01 + 0.5 + 0.5)) < 1e-12, String(predictLatency(spec, t).ms));
  const dir = mkdtempSync(join(tmpdir(), 'distillery-table-'));
  writeFileSync(join(dir, 't.json'), JSON.stringify(t));
  assert.deepEqual(readLatencyTable(join(dir, 't.json')).kernels?.blockKinds, ['conv2d', 'maxpool']);
  // features that do not match its block kinds: refused
  writeFileSync(join(dir, 'odd.json'), JSON.stringify({ ...t, kernels: { ...t.kernels, blockKinds: ['conv2d'] } }));
  assert.throws(() => readLatencyTable(join(dir, 'odd.json')), { code: 'PREDICT_TABLE' });
});
