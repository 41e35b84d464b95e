import { DistilleryError } from '../core/errors.ts';
import { ByteSource, checkFinite, truncated } from './files.ts';
import type { RawPart } from './labels.ts';

/** IDX element types by their code in the magic number, with their size in bytes. */
const IDX_TYPES: Record<number, { name: string; bytes: number }> = {
  0x08: { name: 'ubyte', bytes: 1 },
  0x09: { name: 'byte', bytes: 1 },
  0x0b: { name: 'short', bytes: 2 },
  0x0c: { name: 'int', bytes: 4 },
  0x0d: { name: 'float', bytes: 4 },
  0x0e: { name: 'double', bytes: 8 },
};

/** An IDX array: its full dims as the header states them, and the first `count` items. */
export interface IdxArray {
  readonly dims: readonly number[];
  readonly type: number;
  /** Items read (the first dim, or fewer under a limit). */
  readonly count: number;
  readonly data: Float32Array | Float64Array;
}

/**
 * Read an IDX file (raw or gzip): big-endian header `00 00 TYPE NDIM`, NDIM uint32 dims, then
 * the values big-endian. Reads only the first `limit` items along the first dim when given.
 * `wide` returns Float64Array (for labels, where int32 must stay exact).
 *
 * @example
 * const labels = readIdx('t10k-labels-idx1-ubyte', { rank: 1, wide: true });
 */
export function readIdx(path: string, opts: { rank?: number; limit?: number; wide?: boolean } = {}): IdxArray {
  const src = ByteSource.open(path);
  try {
    if (src.size < 4) throw truncated(path, `the IDX header needs 4 bytes, the file has ${src.size}`);
    const head = src.read(0, 4, 'the IDX header');
    const type = head[2];
    const ndim = head[3];
    const info = IDX_TYPES[type];
    if (head[0] !== 0 || head[1] !== 0 || info === undefined || ndim === 0) {
      throw new DistilleryError(
        'DATA_IDX_MAGIC',
        `${path}: not an IDX file (magic 0x${head.toString('hex')})`,
        'expected 00 00 TYPE NDIM with TYPE 08/09/0B/0C/0D/0E; pass MNIST-style IDX files, raw or .gz',
        path,
      );
    }
    if (opts.rank !== undefined && !(opts.rank === ndim || (opts.rank === 3 && ndim >= 2))) {
      throw new DistilleryError(
        'DATA_IDX_MAGIC',
        `${path}: IDX array has ${ndim} dims, expected ${opts.rank === 1 ? '1 (labels, idx1)' : '2 or more (images, idx3)'}`,
        'check that images and labels are not swapped in data.source',
        path,
      );
    }
    const dimBytes = src.read(4, 4 * ndim, 'the IDX dims');
    const dims: number[] = [];
    for (let i = 0; i < ndim; i++) dims.push(dimBytes.readUInt32BE(4 * i));
    const zero = dims.indexOf(0, 1);
    if (zero > 0) {
      // a sample of no values would train nothing and reshape into an empty tensor downstream
      throw new DistilleryError(
        'DATA_IDX_SHAPE',
        `${path}: dimension ${zero} of the IDX array is 0 (dims ${dims.join('x')}): each sample would hold no values`,
        'check the file\'s header: every dimension after the sample count must be at least 1',
        path,
      );
    }
    const per = dims.slice(1).reduce((a, b) => a * b, 1);
    const start = 4 + 4 * ndim;
    const full = start + dims[0] * per * info.bytes;
    if (src.size < full) {
      throw truncated(path, `the header promises ${dims.join('x')} ${info.name} values (${full} bytes), the file has ${src.size}`);
    }
    if (dims[0] === 0) {
      throw new DistilleryError('DATA_EMPTY', `${path}: the IDX array holds no samples (dims ${dims.join('x')})`, 'check that the file was written completely', path);
    }
    const count = opts.limit === undefined ? dims[0] : Math.min(opts.limit, dims[0]);
    const bytes = src.read(start, count * per * info.bytes, 'the IDX values');
    const data = decode(bytes, type, count * per, opts.wide === true);
    if (type === 0x0d || type === 0x0e) checkFinite(data as Float32Array, path, (i) => `sample ${Math.floor(i / per)} value ${i % per}`);
    return { dims, type, count, data };
  } finally {
    src.close();
  }
}

function decode(b: Buffer, type: number, n: number, wide: boolean): Float32Array | Float64Array {
  const Out = wide ? Float64Array : Float32Array;
  // 1-byte types: a typed-array view converts natively, with no per-element JS work.
  if (type === 0x08) return new Out(new Uint8Array(b.buffer, b.byteOffset, n));
  if (type === 0x09) return new Out(new Int8Array(b.buffer, b.byteOffset, n));
  const out = new Out(n);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (type === 0x0b) for (let i = 0; i < n; i++) out[i] = dv.getInt16(2 * i);
  else if (type === 0x0c) for (let i = 0; i < n; i++) out[i] = dv.getInt32(4 * i);
  else if (type === 0x0d) for (let i = 0; i < n; i++) out[i] = dv.getFloat32(4 * i);
  else for (let i = 0; i < n; i++) out[i] = dv.getFloat64(8 * i);
  return out;
}

/** The range an IDX type can hold, for the integer types `scale` can map to [0, 1]. */
function rangeOf(type: number): readonly [number, number] | undefined {
  if (type === 0x08) return [0, 255];
  if (type === 0x09) return [-128, 127];
  return undefined;
}

/**
 * Read an IDX images file and its IDX labels file as one part. Rank-3 images (n, rows, cols)
 * become samples of shape [rows, cols, 1]; rank-4 ones keep their channels; rank-2 ones are
 * feature vectors.
 *
 * @example
 * const part = readIdxPart('train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 1000);
 */
export function readIdxPart(images: string, labels: string, limit?: number): RawPart {
  const opt = limit === undefined ? {} : { limit };
  const img = readIdx(images, { rank: 3, ...opt });
  const lab = readIdx(labels, { rank: 1, wide: true, ...opt });
  if (img.dims[0] !== lab.dims[0]) {
    throw new DistilleryError(
      'DATA_COUNT_MISMATCH',
      `${images} holds ${img.dims[0]} samples but ${labels} holds ${lab.dims[0]} labels`,
      'pair each images file with the labels file made with it',
      labels,
    );
  }
  const rest = img.dims.slice(1);
  const shape = rest.length === 2 ? [rest[0], rest[1], 1] : rest;
  const range = rangeOf(img.type);
  const part = {
    x: img.data as Float32Array,
    shape,
    labels: { kind: 'numeric' as const, values: lab.data as Float64Array },
    labelFile: labels,
    locate: (i: number) => `label ${i}`,
  };
  return range ? { ...part, valueRange: range } : part;
}
