// Builders of small data files for the data tests, written from the format specs (LeCun's IDX
// page, numpy's NEP 1 .npy format) independently of the readers under test.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DistilleryError } from '../core/errors.ts';

/** A fresh temp folder and a function that writes a file into it and returns its path. */
export function tempFiles(): { dir: string; put: (name: string, data: string | Uint8Array) => string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'distillery-data-'));
  return {
    dir,
    put: (name, data) => {
      const p = join(dir, name);
      writeFileSync(p, data);
      return p;
    },
    done: () => rmSync(dir, { recursive: true, force: true }),
  };
}

const IDX_SIZE: Record<number, number> = { 0x08: 1, 0x09: 1, 0x0b: 2, 0x0c: 4, 0x0d: 4, 0x0e: 8 };

/** IDX bytes: 00 00 type ndim, big-endian uint32 dims, big-endian values. */
export function idxBytes(type: number, dims: number[], values: ArrayLike<number>, gzip = false): Uint8Array {
  const size = IDX_SIZE[type];
  const buf = Buffer.alloc(4 + 4 * dims.length + values.length * size);
  buf[2] = type;
  buf[3] = dims.length;
  dims.forEach((d, i) => buf.writeUInt32BE(d, 4 + 4 * i));
  let o = 4 + 4 * dims.length;
  for (let i = 0; i < values.length; i++, o += size) {
    const v = values[i];
    if (type === 0x08) buf.writeUInt8(v, o);
    else if (type === 0x09) buf.writeInt8(v, o);
    else if (type === 0x0b) buf.writeInt16BE(v, o);
    else if (type === 0x0c) buf.writeInt32BE(v, o);
    else if (type === 0x0d) buf.writeFloatBE(v, o);
    else buf.writeDoubleBE(v, o);
  }
  return gzip ? gzipSync(buf) : buf;
}

/** .npy version 1.0 bytes as numpy.save writes them (header padded to 64 bytes, ending in \n). */
export function npyBytes(descr: string, shape: number[], values: ArrayLike<number>, fortran = false): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': ${shapeText}, }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  header += ' '.repeat(pad % 64) + '\n';
  const m = /^([<>|])([fiub])(\d+)$/.exec(descr);
  const size = m ? Number(m[3]) : 4;
  const le = m?.[1] !== '>';
  const body = Buffer.alloc(values.length * size);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const o = i * size;
    const k = m?.[2];
    if (k === 'f' && size === 4) le ? body.writeFloatLE(v, o) : body.writeFloatBE(v, o);
    else if (k === 'f') le ? body.writeDoubleLE(v, o) : body.writeDoubleBE(v, o);
    else if (size === 1) k === 'i' ? body.writeInt8(v, o) : body.writeUInt8(v, o);
    else if (size === 2) k === 'i' ? (le ? body.writeInt16LE(v, o) : body.writeInt16BE(v, o)) : le ? body.writeUInt16LE(v, o) : body.writeUInt16BE(v, o);
    else if (size === 4) k === 'i' ? (le ? body.writeInt32LE(v, o) : body.writeInt32BE(v, o)) : le ? body.writeUInt32LE(v, o) : body.writeUInt32BE(v, o);
    else le ? body.writeBigInt64LE(BigInt(v), o) : body.writeBigInt64BE(BigInt(v), o);
  }
  const pre = Buffer.alloc(10);
  pre[0] = 0x93;
  pre.write('NUMPY', 1, 'latin1');
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  return Buffer.concat([pre, Buffer.from(header, 'latin1'), body]);
}

/** Run `fn`, expect one DistilleryError with `code` whose message holds every `parts` and which carries a hint. */
export function fails(fn: () => unknown, code: string, ...parts: string[]): DistilleryError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof DistilleryError, `expected DistilleryError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  for (const p of parts) assert.ok(caught.message.includes(p), `message "${caught.message}" lacks "${p}"`);
  assert.ok((caught.hint ?? '').length > 10, 'every error carries a hint');
  return caught;
}
