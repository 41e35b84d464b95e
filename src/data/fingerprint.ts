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
  if (ds.text) return textFingerprint(ds);
  const h = createHash('sha256');
  h.update(JSON.stringify({ v: 1, shape: ds.shape, n: ds.y.length, numClasses: ds.numClasses }));
  h.update(new Uint8Array(ds.y.buffer, ds.y.byteOffset, ds.y.byteLength));
  h.update(new Uint8Array(ds.x.buffer, ds.x.byteOffset, ds.x.byteLength));
  return h.digest('hex');
}

/**
 * The fingerprint of a text data set: its examples (key and raw text, each length-prefixed),
 * labels and class count, and not its token ids, so that students with different tokenizers
 * share a teacher's cached logits as long as the examples are the same. A teacher that reads
 * the student's ids instead of the texts adds the tokenizer to its key (distill/cache.ts).
 *
 * @example
 * textFingerprint(data.train); // 64 hex digits
 */
export function textFingerprint(ds: Dataset): string {
  const t = ds.text!;
  const h = createHash('sha256');
  h.update(JSON.stringify({ v: 'text-1', n: ds.y.length, numClasses: ds.numClasses }));
  h.update(new Uint8Array(ds.y.buffer, ds.y.byteOffset, ds.y.byteLength));
  const len = Buffer.alloc(8);
  for (let i = 0; i < t.texts.length; i++) {
    for (const s of [t.keys[i], t.texts[i]]) {
      const b = Buffer.from(s, 'utf8');
      len.writeBigUInt64LE(BigInt(b.length));
      h.update(len);
      h.update(b);
    }
  }
  return h.digest('hex');
}
