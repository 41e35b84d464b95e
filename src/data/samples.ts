import { extname } from 'node:path';
import { parse } from 'csv-parse/sync';
import { DistilleryError } from '../core/errors.ts';
import { readAllBytes, readText } from './files.ts';
import { readIdx } from './idx.ts';
import { readNpy } from './npy.ts';

/** Unlabelled samples read from one file for prediction: raw values (before normalisation), sample-major. */
export interface Samples {
  readonly x: Float32Array;
  readonly n: number;
  /** One name per sample for the output: `file`, or `file#3` when a file holds several. */
  readonly names: string[];
}

/**
 * Read the samples a model of per-sample shape `shape` should classify from one file, by
 * extension: `.pgm`/`.pnm` (a binary or plain greyscale image, one sample), `.npy` (one sample
 * of `shape`, or a stack of them), IDX (`.idx`, `-ubyte`, possibly gzipped: a stack), `.csv`
 * (one sample per row of numbers; a header row of names is skipped). Each sample must hold as
 * many values as `shape`: DATA_SHAPE otherwise.
 *
 * @example
 * const s = readSamples('digit.pgm', [28, 28, 1]); // s.n === 1, values 0..255
 */
export function readSamples(path: string, shape: readonly number[]): Samples {
  const d = shape.reduce((a, b) => a * b, 1);
  const ext = extname(path.replace(/\.gz$/i, '')).toLowerCase();
  let values: ArrayLike<number>;
  if (ext === '.pgm' || ext === '.pnm') values = readPgm(path);
  else if (ext === '.npy') values = readNpy(path).data;
  else if (ext === '.csv') values = readCsvRows(path, d);
  else if (ext === '.idx' || /-ubyte$/.test(ext) || /-ubyte(\.gz)?$/i.test(path)) values = readIdx(path).data;
  else {
    throw new DistilleryError('PREDICT_INPUT_FORMAT', `${path}: cannot read ${ext || 'a file without extension'} as input`, 'give images as .pgm, or samples as .npy, IDX or .csv rows of numbers', path);
  }
  if (values.length === 0 || values.length % d !== 0) {
    throw new DistilleryError('DATA_SHAPE', `${path}: ${values.length} values do not make samples of shape [${shape.join(', ')}] (${d} values each)`, 'give inputs of the size the model was trained on', path);
  }
  const n = values.length / d;
  return { x: Float32Array.from(values), n, names: n === 1 ? [path] : Array.from({ length: n }, (_, i) => `${path}#${i}`) };
}

/** Netpbm greyscale: P5 (binary, 8 or 16 bit) or P2 (plain text), values as stored (0..maxval). */
export function readPgm(path: string): Float32Array {
  const b = readAllBytes(path);
  const bad = (why: string) => new DistilleryError('PREDICT_INPUT_FORMAT', `${path}: not a PGM image (${why})`, 'save the image as binary PGM (P5), e.g. convert digit.png digit.pgm', path);
  const magic = b.subarray(0, 2).toString('latin1');
  if (magic !== 'P5' && magic !== 'P2') throw bad(`magic '${magic}'`);
  // Header: magic, width, height, maxval as whitespace-separated tokens, '#' comments to end of line.
  const tokens: number[] = [];
  let i = 2;
  while (tokens.length < 3 && i < b.length) {
    const c = b[i];
    if (c === 0x23) while (i < b.length && b[i] !== 0x0a) i++;
    else if (c >= 0x30 && c <= 0x39) {
      let v = 0;
      while (i < b.length && b[i] >= 0x30 && b[i] <= 0x39) v = v * 10 + (b[i++] - 0x30);
      tokens.push(v);
      continue;
    }
    i++;
  }
  const [w, h, max] = tokens;
  if (!w || !h || !max || max > 65535) throw bad('bad width, height or maxval');
  i++; // the single whitespace after maxval
  const n = w * h;
  const out = new Float32Array(n);
  if (magic === 'P2') {
    const nums = b.subarray(i).toString('latin1').trim().split(/\s+/).map(Number);
    if (nums.length < n) throw bad(`${nums.length} values for ${w}x${h}`);
    for (let k = 0; k < n; k++) out[k] = nums[k];
    return out;
  }
  const wide = max > 255;
  if (b.length - i < n * (wide ? 2 : 1)) throw bad(`truncated: ${w}x${h} needs ${n * (wide ? 2 : 1)} bytes of pixels`);
  for (let k = 0; k < n; k++) out[k] = wide ? b.readUInt16BE(i + 2 * k) : b[i + k];
  return out;
}

function readCsvRows(path: string, d: number): Float32Array {
  const rows = parse(readText(path), { skip_empty_lines: true, trim: true }) as string[][];
  const numeric = rows.filter((r, i) => !(i === 0 && r.some((c) => c !== '' && !Number.isFinite(Number(c)))));
  const out = new Float32Array(numeric.length * d);
  numeric.forEach((r, k) => {
    if (r.length !== d) throw new DistilleryError('DATA_SHAPE', `${path}: row ${k + 1} has ${r.length} values, the model takes ${d}`, 'one sample per row, feature values only (no label column)', path);
    for (let j = 0; j < d; j++) {
      const v = Number(r[j]);
      if (!Number.isFinite(v)) throw new DistilleryError('DATA_CSV_VALUE', `${path}: row ${k + 1}, column ${j + 1}: '${r[j]}' is not a number`, 'feature values must be numbers', path);
      out[k * d + j] = v;
    }
  });
  return out;
}
