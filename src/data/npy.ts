import { DistilleryError } from '../core/errors.ts';
import { ByteSource, checkFinite, truncated } from './files.ts';
import type { RawPart } from './labels.ts';

/** A parsed `.npy` header. */
export interface NpyHeader {
  /** Element kind and size, e.g. { kind: 'f', bytes: 4, little: true } for '<f4'. */
  readonly kind: 'f' | 'i' | 'u' | 'b';
  readonly bytes: number;
  readonly little: boolean;
  readonly descr: string;
  readonly shape: readonly number[];
  /** Byte offset of the first value. */
  readonly offset: number;
}

/** An NPY array: full shape, and the first `count` rows along the first axis as numbers. */
export interface NpyArray {
  readonly header: NpyHeader;
  readonly count: number;
  readonly data: Float32Array | Float64Array;
}

const SUPPORTED = 'f4, f8, i1, i2, i4, i8, u1, u2, u4, u8, b1 (any byte order), C order';

function bad(path: string, what: string): DistilleryError {
  return new DistilleryError('DATA_NPY_FORMAT', `${path}: ${what}`, `save with numpy.save(); supported dtypes: ${SUPPORTED}`, path);
}

/**
 * Parse the header of an `.npy` file (format versions 1, 2 and 3).
 *
 * @example
 * const h = parseNpyHeader(src, 'x.npy'); // { descr: '<f4', shape: [100, 784], ... }
 */
export function parseNpyHeader(src: ByteSource, path: string): NpyHeader {
  if (src.size < 10) throw truncated(path, `an NPY header needs at least 10 bytes, the file has ${src.size}`);
  const pre = src.read(0, 10, 'the NPY preamble');
  if (pre[0] !== 0x93 || pre.toString('latin1', 1, 6) !== 'NUMPY') throw bad(path, 'not an NPY file (no \\x93NUMPY magic)');
  const major = pre[6];
  if (major < 1 || major > 3) throw bad(path, `unknown NPY format version ${major}`);
  const lenBytes = major === 1 ? 2 : 4;
  const lenBuf = src.read(8, lenBytes, 'the NPY header length');
  const len = major === 1 ? lenBuf.readUInt16LE(0) : lenBuf.readUInt32LE(0);
  const start = 8 + lenBytes;
  const text = src.read(start, len, 'the NPY header').toString(major === 3 ? 'utf8' : 'latin1');
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw bad(path, `unreadable NPY header ${JSON.stringify(text.trim())}`);
  if (fortran === 'True') {
    throw new DistilleryError(
      'DATA_NPY_FORMAT',
      `${path}: the array is in Fortran (column-major) order`,
      'save a C-order copy: numpy.save(path, numpy.ascontiguousarray(a))',
      path,
    );
  }
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => Number(s.replace(/L$/, '')));
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw bad(path, `bad shape (${shapeText})`);
  const m = /^([<>|=])([fiub])(\d+)$/.exec(descr);
  const bytes = m ? Number(m[3]) : 0;
  const kind = m?.[2] as NpyHeader['kind'] | undefined;
  const ok = kind === 'f' ? bytes === 4 || bytes === 8 : kind === 'b' ? bytes === 1 : [1, 2, 4, 8].includes(bytes);
  if (!m || !ok || kind === undefined) throw bad(path, `unsupported dtype '${descr}'`);
  // '=' is native order, and every platform Node runs on is little-endian.
  return { kind, bytes, little: m[1] !== '>', descr, shape, offset: start + len };
}

/**
 * Read an `.npy` array, or only its first `limit` rows along axis 0 (the rest is not read).
 * `wide` returns Float64Array, so that int32 labels stay exact.
 *
 * @example
 * const { header, data } = readNpy('x.npy', { limit: 1000 });
 */
export function readNpy(path: string, opts: { limit?: number; wide?: boolean } = {}): NpyArray {
  const src = ByteSource.open(path);
  try {
    const header = parseNpyHeader(src, path);
    const { shape, bytes } = header;
    const rows = shape.length === 0 ? 1 : shape[0];
    const per = shape.slice(1).reduce((a, b) => a * b, 1);
    const full = header.offset + rows * per * bytes;
    if (src.size < full) throw truncated(path, `the header promises shape (${shape.join(', ')}) '${header.descr}' (${full} bytes), the file has ${src.size}`);
    if (rows === 0) throw new DistilleryError('DATA_EMPTY', `${path}: the array holds no rows (shape (${shape.join(', ')}))`, 'check that the array was saved with its data', path);
    const count = opts.limit === undefined ? rows : Math.min(rows, opts.limit);
    const raw = src.read(header.offset, count * per * bytes, 'the NPY values');
    const data = decode(raw, header, count * per, opts.wide === true);
    if (header.kind === 'f') checkFinite(data as Float32Array, path, (i) => `row ${Math.floor(i / per)} value ${i % per}`);
    return { header, count, data };
  } finally {
    src.close();
  }
}

function decode(b: Buffer, h: NpyHeader, n: number, wide: boolean): Float32Array | Float64Array {
  const Out = wide ? Float64Array : Float32Array;
  if (h.bytes === 1) {
    // u1, b1 and i1 convert natively through a typed-array view.
    return new Out(h.kind === 'i' ? new Int8Array(b.buffer, b.byteOffset, n) : new Uint8Array(b.buffer, b.byteOffset, n));
  }
  const out = new Out(n);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const le = h.little;
  const k = h.kind;
  if (k === 'f' && h.bytes === 4) for (let i = 0; i < n; i++) out[i] = dv.getFloat32(4 * i, le);
  else if (k === 'f') for (let i = 0; i < n; i++) out[i] = dv.getFloat64(8 * i, le);
  else if (h.bytes === 2) {
    if (k === 'i') for (let i = 0; i < n; i++) out[i] = dv.getInt16(2 * i, le);
    else for (let i = 0; i < n; i++) out[i] = dv.getUint16(2 * i, le);
  } else if (h.bytes === 4) {
    if (k === 'i') for (let i = 0; i < n; i++) out[i] = dv.getInt32(4 * i, le);
    else for (let i = 0; i < n; i++) out[i] = dv.getUint32(4 * i, le);
  } else {
    // 64-bit integers: exact up to 2^53, which covers any label or pixel a user will store.
    if (k === 'i') for (let i = 0; i < n; i++) out[i] = Number(dv.getBigInt64(8 * i, le));
    else for (let i = 0; i < n; i++) out[i] = Number(dv.getBigUint64(8 * i, le));
  }
  return out;
}

/**
 * The value range of an integer dtype that `scale` maps to [0, 1], when it is a byte type.
 *
 * @example
 * npyRange(header); // [0, 255] for '|u1'
 */
export function npyRange(h: NpyHeader): readonly [number, number] | undefined {
  if (h.bytes !== 1) return undefined;
  if (h.kind === 'u') return [0, 255];
  if (h.kind === 'i') return [-128, 127];
  if (h.kind === 'b') return [0, 1];
  return undefined;
}

/**
 * Read features `x.npy` (n, ...) and integer labels `y.npy` (n) or (n, 1) as one part. Rank-3
 * features (n, h, w) are single-channel images and get shape [h, w, 1], like IDX.
 *
 * @example
 * const part = readNpyPart('x.npy', 'y.npy');
 */
export function readNpyPart(xPath: string, yPath: string, limit?: number): RawPart {
  const opt = limit === undefined ? {} : { limit };
  const x = readNpy(xPath, opt);
  const xs = x.header.shape;
  if (xs.length < 2) {
    throw bad(xPath, `features need shape (samples, ...), got (${xs.join(', ')})`);
  }
  const y = readNpy(yPath, { ...opt, wide: true });
  const ys = y.header.shape;
  if (ys.length === 0 || ys.length > 2 || (ys.length === 2 && ys[1] !== 1)) {
    throw bad(yPath, `labels need shape (samples,) or (samples, 1), got (${ys.join(', ')})`);
  }
  if (xs[0] !== ys[0]) {
    throw new DistilleryError(
      'DATA_COUNT_MISMATCH',
      `${xPath} holds ${xs[0]} samples but ${yPath} holds ${ys[0]} labels`,
      'pair each features file with the labels file made with it',
      yPath,
    );
  }
  const rest = xs.slice(1);
  const range = npyRange(x.header);
  const part = {
    x: x.data as Float32Array,
    shape: rest.length === 2 ? [rest[0], rest[1], 1] : rest,
    labels: { kind: 'numeric' as const, values: y.data as Float64Array },
    labelFile: yPath,
    locate: (i: number) => `row ${i}`,
  };
  return range ? { ...part, valueRange: range } : part;
}
