import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasCheckpoint, loadCheckpoint, saveCheckpoint } from './checkpoint.ts';
import type { TrainState } from './checkpoint.ts';

function state(epoch: number): TrainState {
  return {
    epoch,
    globalStep: epoch * 10,
    seed: 3,
    batchSize: 32,
    samples: 320,
    stoppedEarly: false,
    history: [{ epoch: 1, loss: 0.1 + 1e-17, accuracy: 0.9, valLoss: 1 / 3, lr: 0.05, seconds: 1.5, samplesPerSec: 213.3 }],
    weights: [Float32Array.from([1.5, -2, Math.fround(0.1)]), Float32Array.from([7])],
    optimizer: { type: 'adam', step: epoch * 10, slots: { m: [Float32Array.from([0.25, 0.5, 0.75]), Float32Array.from([1e-30])], v: [new Float32Array(3), Float32Array.from([3])] } },
    earlyStopping: { best: 0.3, bestEpoch: 1, wait: 0 },
    bestWeights: [Float32Array.from([9, 8, 7]), Float32Array.from([6])],
  };
}

const info = [
  { name: 'dense/kernel', shape: [3] },
  { name: 'dense/bias', shape: [1] },
];

test('save then load returns the same state, bit for bit', () => {
  const dir = mkdtempSync(join(tmpdir(), 'distillery-ckpt-'));
  try {
    assert.equal(hasCheckpoint(dir), false);
    assert.equal(loadCheckpoint(dir), undefined);
    saveCheckpoint(dir, state(1), info);
    saveCheckpoint(dir, state(2), info);
    assert.deepEqual(readdirSync(dir).sort(), ['ckpt-e0002.bin', 'manifest.json']);
    const back = loadCheckpoint(dir, info);
    assert.deepEqual(back, state(2));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a truncated data file or a different model is refused with a code and a hint', () => {
  const dir = mkdtempSync(join(tmpdir(), 'distillery-ckpt-'));
  try {
    saveCheckpoint(dir, state(1), info);
    assert.throws(() => loadCheckpoint(dir, [{ name: 'x', shape: [4] }, info[1]]), (e: Error & { code?: string; hint?: string }) => e.code === 'TRAIN_RESUME_MISMATCH' && /delete the checkpoint/.test(e.hint ?? ''));
    // offsets that run past the data file (a manifest edited or from another run): named, not INTERNAL
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { segments: { offset: number }[] };
    const good = JSON.stringify(manifest);
    manifest.segments[1]!.offset += 1000;
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
    assert.throws(() => loadCheckpoint(dir), (e: Error & { code?: string; hint?: string; where?: string }) =>
      e.code === 'TRAIN_CHECKPOINT_CORRUPT' && /manifest\.json: segment 1 \(weight #1\) spans values \d+\.\.\d+, but ckpt-e0001\.bin holds \d+$/.test(e.message) && /delete the checkpoint/.test(e.hint ?? '') && e.where === join(dir, 'manifest.json'));
    writeFileSync(join(dir, 'manifest.json'), good);
    truncateSync(join(dir, 'ckpt-e0001.bin'), 8);
    assert.throws(() => loadCheckpoint(dir), (e: Error & { code?: string }) => e.code === 'TRAIN_CHECKPOINT_CORRUPT' && /has 8 bytes/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
