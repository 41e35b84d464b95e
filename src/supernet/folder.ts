import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DistilleryError } from '../core/errors.ts';
import { writeFileAtomic, writeJsonAtomic } from '../core/fs.ts';
import type { Normalization } from '../data/index.ts';
import { supernetConfigSchema, type SupernetConfig } from './config.ts';
import { Supernet } from './net.ts';

/** The manifest of a trained supernet folder (`supernet.json`, beside `weights.bin`). */
export interface SupernetManifest {
  format: 'distillery-supernet';
  version: 1;
  /** The training config, validated; relative paths in it start at `baseDir`. */
  config: SupernetConfig;
  baseDir: string;
  inputShape: number[];
  numClasses: number;
  classNames: string[];
  normalization: Normalization;
  dataFingerprint: string;
  weights: { name: string; shape: number[] }[];
  /** Steps taken, and the training compute they cost (3 × forward MACs per sample, every subnet of every step). */
  steps: number;
  trainingMacs: number;
  /** Per epoch: loss of the largest subnet and validation accuracy of the largest and smallest, recalibrated. */
  history: Record<string, number>[];
}

/** File names inside a supernet folder. */
export const SUPERNET_JSON = 'supernet.json';
export const SUPERNET_WEIGHTS = 'weights.bin';

/** Writes the folder: weights first, the manifest last (both atomically), so a folder with a manifest is whole. */
export function saveSupernet(dir: string, net: Supernet, manifest: Omit<SupernetManifest, 'format' | 'version' | 'weights'>): void {
  const values = net.read();
  const total = values.reduce((a, v) => a + v.length, 0);
  const all = new Float32Array(total);
  let at = 0;
  for (const v of values) {
    all.set(v, at);
    at += v.length;
  }
  writeFileAtomic(join(dir, SUPERNET_WEIGHTS), new Uint8Array(all.buffer));
  const full: SupernetManifest = { format: 'distillery-supernet', version: 1, ...manifest, weights: net.weights.map((w) => ({ name: w.name, shape: [...w.variable.shape] })) };
  writeJsonAtomic(join(dir, SUPERNET_JSON), full);
}

/**
 * The manifest of a trained supernet folder (validated config), without loading its weights.
 * `SUPERNET_NOT_FOUND` when the folder has no `supernet.json`, `SUPERNET_FORMAT` when it is not one.
 *
 * @example
 * readManifest('runs/supernet').trainingMacs;
 */
export function readManifest(dir: string): SupernetManifest {
  const path = join(dir, SUPERNET_JSON);
  if (!existsSync(path)) throw new DistilleryError('SUPERNET_NOT_FOUND', `${dir}: not a trained supernet folder (no ${SUPERNET_JSON})`, 'pass the --out folder of a finished `distillery supernet train`', dir);
  let m: SupernetManifest;
  try {
    m = JSON.parse(readFileSync(path, 'utf8')) as SupernetManifest;
  } catch (e) {
    throw new DistilleryError('SUPERNET_FORMAT', `${path}: not valid JSON (${(e as Error).message})`, 'train the supernet again', path);
  }
  if (m.format !== 'distillery-supernet' || m.version !== 1) throw new DistilleryError('SUPERNET_FORMAT', `${path}: not a distillery supernet manifest (version 1)`, 'train the supernet again', path);
  return { ...m, config: supernetConfigSchema.parse(m.config) };
}

/**
 * Reads a trained supernet folder: its manifest and the supernet with its weights (the engine
 * must be initialised first). `SUPERNET_FORMAT` when its files do not fit together.
 *
 * @example
 * const { manifest, net } = loadSupernet('runs/supernet');
 */
export function loadSupernet(dir: string): { manifest: SupernetManifest; net: Supernet } {
  const m = readManifest(dir);
  const net = new Supernet(m.config.supernet, m.inputShape, m.numClasses, m.config.seed);
  try {
    const buf = readFileSync(join(dir, SUPERNET_WEIGHTS));
    const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    const values: Float32Array[] = [];
    let at = 0;
    for (const w of net.weights) {
      values.push(all.subarray(at, at + w.variable.size));
      at += w.variable.size;
    }
    if (at !== all.length) throw new DistilleryError('SUPERNET_FORMAT', `${join(dir, SUPERNET_WEIGHTS)}: holds ${all.length} values, the space's weights ${at}`, 'train the supernet again', dir);
    net.write(values, join(dir, SUPERNET_WEIGHTS));
  } catch (e) {
    net.dispose();
    throw e;
  }
  return { manifest: m, net };
}
