import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DistilleryError } from '../core/errors.ts';
import { writeFileAtomic, writeJsonAtomic } from '../core/fs.ts';
import type { OptimizerState } from './optimizers.ts';
import type { EarlyStoppingState } from './early-stopping.ts';

/** One epoch's numbers, as in the `epoch` event. Epochs are 1-based. */
export interface EpochMetrics {
  epoch: number;
  loss: number;
  accuracy: number;
  valLoss?: number;
  valAccuracy?: number;
  /** Learning rate of the epoch's last step. */
  lr: number;
  seconds: number;
  samplesPerSec: number;
}

/**
 * Where a run stands: the numbers a checkpoint's manifest stores as they are, beside the arrays.
 *
 * @example
 * const at: RunPosition = { epoch: 3, globalStep: 1407, seed: 1, batchSize: 128, samples: 60000, stoppedEarly: false };
 */
export interface RunPosition {
  /** Epochs completed. */
  epoch: number;
  /** Optimizer steps taken over the whole run (the schedule's position). */
  globalStep: number;
  seed: number;
  batchSize: number;
  samples: number;
  stoppedEarly: boolean;
}

/** A copy of just the {@link RunPosition} fields (the manifest and the state hold more). */
function positionOf(p: RunPosition): RunPosition {
  return { epoch: p.epoch, globalStep: p.globalStep, seed: p.seed, batchSize: p.batchSize, samples: p.samples, stoppedEarly: p.stoppedEarly };
}

/** Everything needed to continue a run where it stopped. */
export interface TrainState extends RunPosition {
  history: EpochMetrics[];
  /** Values of `model.weights`, in order. */
  weights: Float32Array[];
  optimizer: OptimizerState;
  earlyStopping?: EarlyStoppingState;
  /** The best epoch's weights, kept for early stopping's restore. */
  bestWeights?: Float32Array[];
}

/** Name and shape of each weight, written to the manifest so a mismatch is caught on resume. */
export interface WeightInfo {
  name: string;
  shape: number[];
}

interface Segment {
  kind: 'weight' | 'slot' | 'best';
  slot?: string;
  index: number;
  offset: number;
  length: number;
}

interface Manifest extends RunPosition {
  format: 'distillery-checkpoint';
  version: 1;
  file: string;
  bytes: number;
  optimizer: { type: OptimizerState['type']; step: number; slots: string[] };
  earlyStopping?: EarlyStoppingState;
  weights: WeightInfo[];
  segments: Segment[];
  history: EpochMetrics[];
}

const MANIFEST = 'manifest.json';

/**
 * Write a checkpoint into `dir`: one binary file of float32 values per epoch
 * (`ckpt-e0003.bin`), then `manifest.json` naming it. Both go through temp-file-and-rename,
 * and the manifest is written last, so a kill at any point leaves the previous checkpoint
 * whole; older binaries are removed after the manifest moves on.
 *
 * @example
 * saveCheckpoint('runs/a/checkpoint', state, model.weights.map((w) => ({ name: w.name, shape: w.shape as number[] })));
 */
export function saveCheckpoint(dir: string, state: TrainState, info: readonly WeightInfo[]): void {
  const segments: Segment[] = [];
  const arrays: Float32Array[] = [];
  let offset = 0;
  const push = (kind: Segment['kind'], index: number, a: Float32Array, slot?: string) => {
    segments.push({ kind, index, offset, length: a.length, ...(slot !== undefined ? { slot } : {}) });
    arrays.push(a);
    offset += a.length;
  };
  state.weights.forEach((w, i) => push('weight', i, w));
  const slotNames = Object.keys(state.optimizer.slots);
  for (const name of slotNames) state.optimizer.slots[name].forEach((a, i) => push('slot', i, a, name));
  state.bestWeights?.forEach((w, i) => push('best', i, w));
  const all = new Float32Array(offset);
  let at = 0;
  for (const a of arrays) {
    all.set(a, at);
    at += a.length;
  }
  const file = `ckpt-e${String(state.epoch).padStart(4, '0')}.bin`;
  writeFileAtomic(join(dir, file), new Uint8Array(all.buffer, all.byteOffset, all.byteLength));
  const manifest: Manifest = {
    format: 'distillery-checkpoint',
    version: 1,
    file,
    bytes: all.byteLength,
    ...positionOf(state),
    optimizer: { type: state.optimizer.type, step: state.optimizer.step, slots: slotNames },
    ...(state.earlyStopping ? { earlyStopping: state.earlyStopping } : {}),
    weights: [...info],
    segments,
    history: state.history,
  };
  writeJsonAtomic(join(dir, MANIFEST), manifest);
  for (const f of readdirSync(dir)) {
    if (/^ckpt-e\d+\.bin$/.test(f) && f !== file) rmSync(join(dir, f), { force: true });
  }
}

/**
 * True when `dir` holds a checkpoint.
 *
 * @example
 * if (hasCheckpoint(dir)) await fit(model, train, { ...opts, checkpointDir: dir, resume: true });
 */
export function hasCheckpoint(dir: string): boolean {
  return existsSync(join(dir, MANIFEST));
}

/**
 * Read the checkpoint in `dir`, or `undefined` when there is none. Checks the weights'
 * shapes against `info` when given.
 *
 * @example
 * const state = loadCheckpoint('runs/a/checkpoint');
 */
export function loadCheckpoint(dir: string, info?: readonly WeightInfo[]): TrainState | undefined {
  const path = join(dir, MANIFEST);
  if (!existsSync(path)) return undefined;
  const corrupt = (why: string) =>
    new DistilleryError('TRAIN_CHECKPOINT_CORRUPT', `${path}: ${why}`, 'delete the checkpoint folder to start afresh', path);
  let m: Manifest;
  try {
    m = JSON.parse(readFileSync(path, 'utf8')) as Manifest;
  } catch (e) {
    throw corrupt(`not valid JSON (${(e as Error).message})`);
  }
  if (m.format !== 'distillery-checkpoint' || m.version !== 1) throw corrupt('not a distillery checkpoint manifest (version 1)');
  const binPath = join(dir, m.file);
  if (!existsSync(binPath)) throw corrupt(`its data file ${m.file} is missing`);
  const buf = readFileSync(binPath);
  if (buf.byteLength !== m.bytes) throw corrupt(`${m.file} has ${buf.byteLength} bytes, the manifest says ${m.bytes}`);
  const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  if (info) {
    const same = info.length === m.weights.length && info.every((w, i) => w.shape.join('x') === m.weights[i].shape.join('x'));
    if (!same) {
      throw new DistilleryError(
        'TRAIN_RESUME_MISMATCH',
        `${path}: the checkpoint's weights [${m.weights.map((w) => w.shape.join('x')).join(', ')}] do not fit the model's [${info.map((w) => w.shape.join('x')).join(', ')}]`,
        'resume with the model the run started with, or delete the checkpoint folder to start afresh',
        path,
      );
    }
  }
  const weights: Float32Array[] = [];
  const best: Float32Array[] = [];
  const slots: Record<string, Float32Array[]> = {};
  for (const name of m.optimizer.slots) slots[name] = [];
  for (const [i, s] of m.segments.entries()) {
    // a segment past the data's end would slice short and fail later, inside TF.js, as INTERNAL
    const ok = Number.isInteger(s.offset) && Number.isInteger(s.length) && s.offset >= 0 && s.length >= 0 && s.offset + s.length <= all.length;
    if (!ok) throw corrupt(`segment ${i} (${s.kind}${s.slot !== undefined ? ` ${s.slot}` : ''} #${s.index}) spans values ${s.offset}..${s.offset + s.length}, but ${m.file} holds ${all.length}`);
    const a = all.slice(s.offset, s.offset + s.length);
    if (s.kind === 'weight') weights[s.index] = a;
    else if (s.kind === 'best') best[s.index] = a;
    else slots[s.slot ?? ''][s.index] = a;
  }
  const state: TrainState = {
    ...positionOf(m),
    history: m.history,
    weights,
    optimizer: { type: m.optimizer.type, step: m.optimizer.step, slots },
  };
  if (m.earlyStopping) state.earlyStopping = m.earlyStopping;
  if (best.length > 0) state.bestWeights = best;
  return state;
}
