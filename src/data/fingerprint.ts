import { createHash } from 'node:crypto';
import type { Dataset } from './dataset.ts';

/**
 * A stable SHA-256 (hex) of a Dataset's sample shape, class count, labels and values: the
 * same data gives the same key on any run, and any changed value, label or order changes it.
 * Used as the cache key for teacher logits. Class names are left out: renaming a class does not
 * change what a teacher computes. Values are hashed as little-endian float32 bytes (the byte
 * order of every platform Node runs on).
 *
 * @example
 * const key = fingerprint(train); // 'a3f1…' (64 hex digits)
 */
export function fingerprint(ds: Dataset): string {
  const h = createHash('sha256');
  h.update(JSON.stringify({ v: 1, shape: ds.shape, n: ds.y.length, numClasses: ds.numClasses }));
  h.update(new Uint8Array(ds.y.buffer, ds.y.byteOffset, ds.y.byteLength));
  h.update(new Uint8Array(ds.x.buffer, ds.x.byteOffset, ds.x.byteLength));
  return h.digest('hex');
}
