import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { DistilleryError } from '../core/errors.ts';

/**
 * Random access to the bytes of a data file, raw or gzip-compressed. Raw files are read on
 * demand, so a loader asked for the first 100 samples of a 47 MB file reads a few kB; gzip
 * files have no random access and are inflated whole on open.
 *
 * @example
 * const src = ByteSource.open('train-images-idx3-ubyte.gz');
 * try { const head = src.read(0, 16); } finally { src.close(); }
 */
export class ByteSource {
  /** Decompressed (or on-disk) size in bytes. */
  readonly size: number;
  readonly path: string;
  private readonly fd: number | undefined;
  private readonly whole: Buffer | undefined;

  private constructor(path: string, size: number, fd: number | undefined, whole: Buffer | undefined) {
    this.path = path;
    this.size = size;
    this.fd = fd;
    this.whole = whole;
  }

  /** Open `path`; detects gzip by its magic bytes (1f 8b), never by the file name. */
  static open(path: string): ByteSource {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (e) {
      throw notFound(path, e);
    }
    const stat = fstatSync(fd);
    if (!stat.isFile()) {
      closeSync(fd);
      throw notFound(path, Object.assign(new Error('not a file'), { code: stat.isDirectory() ? 'EISDIR' : 'ENOTFILE' }));
    }
    const size = stat.size;
    if (size === 0) {
      closeSync(fd);
      throw new DistilleryError('DATA_EMPTY', `${path}: the file is empty`, 'check that the file was written completely', path);
    }
    const magic = Buffer.alloc(2);
    readSync(fd, magic, 0, 2, 0);
    if (size >= 2 && magic[0] === 0x1f && magic[1] === 0x8b) {
      closeSync(fd);
      const whole = gunzipFile(path);
      if (whole.length === 0) {
        throw new DistilleryError('DATA_EMPTY', `${path}: the file is empty once decompressed`, 'check that the file was written completely', path);
      }
      return new ByteSource(path, whole.length, undefined, whole);
    }
    return new ByteSource(path, size, fd, undefined);
  }

  /**
   * `length` bytes from `offset`. Throws DATA_TRUNCATED when the file ends first; `what` names
   * the part being read for that message.
   */
  read(offset: number, length: number, what = 'data'): Buffer {
    if (offset + length > this.size) {
      throw truncated(this.path, `${what} needs ${offset + length} bytes, the file has ${this.size}`);
    }
    if (this.whole) return this.whole.subarray(offset, offset + length);
    const out = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const got = readSync(this.fd as number, out, done, length - done, offset + done);
      if (got === 0) throw truncated(this.path, `the file ended after ${offset + done} bytes`);
      done += got;
    }
    return out;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
  }
}

/**
 * The whole file as bytes (gunzipped when it starts with the gzip magic).
 *
 * @example
 * const bytes = readAllBytes('train.csv.gz');
 */
export function readAllBytes(path: string): Buffer {
  const src = ByteSource.open(path);
  try {
    return src.read(0, src.size);
  } finally {
    src.close();
  }
}

/**
 * The whole file as UTF-8 text (gunzipped when it starts with the gzip magic).
 *
 * @example
 * const text = readText('classes.txt');
 */
export function readText(path: string): string {
  return readAllBytes(path).toString('utf8');
}

function gunzipFile(path: string): Buffer {
  const packed = readFileSync(path);
  try {
    return gunzipSync(packed);
  } catch (e) {
    // zlib says "unexpected end of file" for a cut-off stream: the common failure.
    throw truncated(path, `gzip data is incomplete or corrupt (${(e as Error).message})`);
  }
}

function notFound(path: string, e: unknown): DistilleryError {
  const code = (e as NodeJS.ErrnoException).code;
  const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder, not a file' : `cannot open (${code ?? String(e)})`;
  return new DistilleryError(
    'DATA_NOT_FOUND',
    `${path}: ${why}`,
    'relative paths are resolved against the config file\'s folder; check the path in data.source',
    path,
  );
}

/**
 * DATA_TRUNCATED for `path`, with the detail of what was missing.
 *
 * @example
 * if (have < need) throw truncated(path, `needs ${need} bytes, the file has ${have}`);
 */
export function truncated(path: string, detail: string): DistilleryError {
  return new DistilleryError('DATA_TRUNCATED', `${path}: truncated: ${detail}`, 'the file was cut short: download or export it again', path);
}

/**
 * Throw DATA_NAN at the first NaN or ±Infinity in `x`. `locate(i)` turns a flat index into
 * words ("sample 3", "line 5 column 2") for the message.
 *
 * @example
 * checkFinite(values, 'x.npy', (i) => `row ${Math.floor(i / 784)}`);
 */
export function checkFinite(x: Float32Array, path: string, locate: (i: number) => string): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    // v - v is 0 for every finite v and NaN otherwise: one compare, no call.
    if (v - v !== 0) {
      throw new DistilleryError(
        'DATA_NAN',
        `${path}: ${locate(i)} is ${v}`,
        'clean the data (drop or impute missing values) before training',
        path,
      );
    }
  }
}
