/**
 * Output memory of the native kernels, recycled. A fresh large Float32Array costs its page
 * faults (~20 ms for 38 MB here, more than most kernels that fill it), and V8 frees it only at
 * a garbage collection. So the native backend hands the array of a disposed tensor back to a
 * free list by length as soon as its last reference goes (backend.ts's `disposeData`), and
 * the kernels take their outputs from that list: a training step asks for the same lengths
 * every time, so from the second step on nearly every output is a warm array.
 *
 * Only arrays allocated here are recycled, and none of them is ever handed out: the backend's
 * `readSync` (behind `dataSync`, `data`, `array`, `bufferSync`) returns copies of them, so no
 * caller can hold an array that a later kernel overwrites.
 */

/** Below this many floats `new Float32Array` is as fast, and not worth tracking. */
const RECYCLE_FROM = 1024;

/**
 * At most this many bytes wait in the free list (DISTILLERY_NATIVE_RECYCLE_MB, default 768: a
 * MobileNetV2-style step at batch 128 cycles ~650 MB); beyond it the lengths least recently
 * used are dropped (left to V8), so the arrays of a model trained earlier make way for the
 * next one's. The list keeps its memory until the backend is disposed.
 */
const MAX_FREE_BYTES = (Number(process.env['DISTILLERY_NATIVE_RECYCLE_MB']) || 768) * 1024 * 1024;

/** DISTILLERY_NATIVE_RECYCLE=0 turns recycling off (every output a fresh array), to measure it. */
const ENABLED = process.env['DISTILLERY_NATIVE_RECYCLE'] !== '0';

/** Arrays allocated by {@link allocF32} (or adopted): the only ones ever recycled. */
const ours = new WeakSet<Float32Array>();
const free = new Map<number, Float32Array[]>();
let freeBytes = 0;
let stats = { allocated: 0, reused: 0, released: 0, dropped: 0 };

/**
 * A Float32Array of `n` elements whose contents are garbage: the caller writes all of them.
 * From the free list when an array of that length waits there, else a fresh unfilled one
 * (`Buffer.allocUnsafeSlow`: its own ArrayBuffer, never a slice of Node's shared pool).
 *
 * @example
 * const out = allocF32(m * n); addon.matmul(a, b, out, ...);
 */
export function allocF32(n: number): Float32Array {
  if (n < RECYCLE_FROM) return new Float32Array(n);
  const hit = takeRecycled(n);
  if (hit) return hit;
  stats.allocated++;
  const buf = Buffer.allocUnsafeSlow(n * 4);
  return adopt(new Float32Array(buf.buffer, buf.byteOffset, n));
}

/**
 * The free list's array of length `n`, or undefined: for allocators with their own fallback
 * (conv.ts's pooled memory), which then {@link adopt} what they allocate.
 *
 * @example
 * const y = takeRecycled(n) ?? adopt(pooled(n));
 */
export function takeRecycled(n: number): Float32Array | undefined {
  if (n < RECYCLE_FROM) return undefined;
  const hit = free.has(n) ? touch(n).pop() : undefined;
  if (hit) {
    freeBytes -= hit.byteLength;
    stats.reused++;
  }
  return hit;
}

/**
 * Mark a kernel output allocated elsewhere as recyclable. Only for fresh arrays that nothing
 * but the output tensor will reference.
 *
 * @example
 * return backend.makeTensorInfo(shape, 'float32', adopt(out));
 */
export function adopt(a: Float32Array): Float32Array {
  if (a.length >= RECYCLE_FROM) ours.add(a);
  return a;
}

/**
 * Whether `values` came from here: then no one outside the native backend may see it (the
 * backend copies it on reads) and it returns to the free list when its tensor's data goes.
 *
 * @example
 * if (isRecyclable(v)) return v.slice();
 */
export function isRecyclable(values: unknown): values is Float32Array {
  return values instanceof Float32Array && ours.has(values);
}

/**
 * Put an array that no tensor references any more on the free list (the backend calls this
 * when a dataId's last reference is disposed).
 *
 * @example
 * if (isRecyclable(v)) release(v);
 */
export function release(a: Float32Array): void {
  if (!ENABLED || a.byteLength > MAX_FREE_BYTES) return;
  // lengths not asked for longest go first: a new model's shapes replace the last one's
  for (const [n, list] of free) {
    if (freeBytes + a.byteLength <= MAX_FREE_BYTES) break;
    if (n === a.length) continue;
    freeBytes -= n * 4 * list.length;
    stats.dropped += list.length;
    free.delete(n);
  }
  if (freeBytes + a.byteLength > MAX_FREE_BYTES) {
    stats.dropped++;
    return;
  }
  const list = touch(a.length);
  list.push(a);
  freeBytes += a.byteLength;
  stats.released++;
}

/** The free list of length `n`, moved to the back of the eviction order (Map keeps insertion order). */
function touch(n: number): Float32Array[] {
  const list = free.get(n) ?? [];
  free.delete(n);
  free.set(n, list);
  return list;
}

/**
 * Empty the free list (the backend's `dispose`), and what it did since the last reset: arrays
 * allocated fresh, reused from the list, released to it, dropped at the cap.
 *
 * @example
 * const { reused, allocated } = resetRecycler();
 */
export function resetRecycler(): { allocated: number; reused: number; released: number; dropped: number; freeBytes: number } {
  const out = { ...stats, freeBytes };
  free.clear();
  freeBytes = 0;
  stats = { allocated: 0, reused: 0, released: 0, dropped: 0 };
  return out;
}

/**
 * What the recycler did so far, without resetting it.
 *
 * @example
 * recyclerStats().reused; // outputs served from the free list
 */
export function recyclerStats(): { allocated: number; reused: number; released: number; dropped: number; freeBytes: number } {
  return { ...stats, freeBytes };
}
