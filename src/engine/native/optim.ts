/**
 * Fused optimizer steps on the native backend: one native pass per variable updates the
 * weight and its slots, in place when that is invisible to everything else.
 *
 * The in-place rule. TF.js's cpu backend hands out the very arrays it stores: `dataSync()`
 * returns them, `tf.tensor(array)` adopts the caller's array, `tf.clone`/reshape share a
 * dataId (counted in the backend's `refCount`), and its slices are views (the native backend's
 * Slice, SplitV, Unpack and StridedSlice copy instead: elementwise.ts). So a buffer is
 * overwritten only when (1) this module allocated it, as the output of an earlier update,
 * so no caller's array is behind it, and (2) its dataId's refCount is 1, so no clone or
 * reshape shares it. Anything else gets a fresh buffer that the variable is re-pointed to, as
 * `assign` would. The native backend's `readSync` (behind `dataSync`, `data`, `array`) hands
 * out copies of such buffers (backend.ts), so a value read before a step stays as it was. The slots are the
 * optimizer's own variables; the same rule applies to them.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { loadNativeAddon } from './addon.ts';
import { NATIVE_BACKEND, keepPrivate } from './backend.ts';
import { allocF32 } from './elementwise-util.ts';

type AdamFn = (w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, wOut: Float32Array, mOut: Float32Array,
  vOut: Float32Array, b1: number, b2: number, c1: number, c2: number, stepSize: number, invSqrtBc2: number, eps: number,
  wd: number, decay: number, mode: number) => void;
type SgdFn = (w: Float32Array, g: Float32Array, buf: Float32Array | null, wOut: Float32Array, bufOut: Float32Array | null,
  mu: number, negLr: number, wd: number, nesterov: boolean) => void;

/** dataIds whose buffers this module allocated (condition 1 of the in-place rule). */
const owned = new WeakSet<object>();

/** The native backend with a fused optimizer, or undefined (then the caller runs its JS ops). */
function nativeBackend(): MathBackendCPU | undefined {
  if (tf.getBackend() !== NATIVE_BACKEND) return undefined;
  const addon = loadNativeAddon();
  if (!addon || typeof addon['adam'] !== 'function') return undefined;
  return tf.backend() as MathBackendCPU;
}

/** Where an update of `t` writes: its own buffer (in place) or a fresh one. */
interface Target { t: tf.Variable; out: Float32Array; fresh: boolean }

function target(backend: MathBackendCPU, t: tf.Variable): Target {
  const id = t.dataId as object;
  const data = backend.data.get(id);
  if (owned.has(id) && data.refCount === 1 && data.values instanceof Float32Array) return { t, out: data.values, fresh: false };
  return { t, out: allocF32(t.size), fresh: true };
}

/** Point the variables whose update went to a fresh buffer at it. */
function commit(backend: MathBackendCPU, targets: readonly Target[]): void {
  for (const { t, out, fresh } of targets) {
    if (!fresh) continue;
    const info = backend.makeTensorInfo(t.shape, 'float32', out);
    const next = tf.engine().makeTensorFromTensorInfo(info, backend);
    t.assign(next);
    next.dispose();
    owned.add(t.dataId as object);
    keepPrivate(t.dataId as object); // its reads copy from now on (backend.ts)
  }
}

/** Float32 memory of `t` on `backend`, or undefined when it lives elsewhere or is not float32. */
function f32(backend: MathBackendCPU, t: tf.Tensor): Float32Array | undefined {
  if (t.dtype !== 'float32' || !backend.data.has(t.dataId)) return undefined;
  const v = backend.data.get(t.dataId).values;
  return v instanceof Float32Array ? v : undefined;
}

/** Adam's per-step scalars, as float32 values exactly as the JS path's `tf.scalar`s hold them. */
export interface AdamScalars {
  beta1: number; beta2: number; oneMinusBeta1: number; oneMinusBeta2: number;
  stepSize: number; invSqrtBc2: number; epsilon: number; weightDecay: number; decay: number;
  /** 0: no weight decay; 1: L2 in the gradient (adam); 2: decoupled (adamw). */
  mode: 0 | 1 | 2;
}

/**
 * One fused Adam/AdamW update of `w` and its moments `m`, `v` from gradient `g`. Returns false,
 * having done nothing, when the native backend or its addon is not active or a tensor is not a
 * float32 tensor on it: the caller then runs the JS ops.
 *
 * @example
 * if (!fusedAdam(w, g, m, v, scalars)) { ...tfjs ops... }
 */
export function fusedAdam(w: tf.Variable, g: tf.Tensor, m: tf.Variable, v: tf.Variable, s: AdamScalars): boolean {
  const backend = nativeBackend();
  if (!backend) return false;
  const [wv, gv, mv, vv] = [f32(backend, w), f32(backend, g), f32(backend, m), f32(backend, v)];
  if (!wv || !gv || !mv || !vv || gv.length !== wv.length) return false;
  const targets = [target(backend, w), target(backend, m), target(backend, v)];
  const adam = loadNativeAddon()!['adam'] as unknown as AdamFn;
  adam(wv, gv, mv, vv, targets[0].out, targets[1].out, targets[2].out, s.beta1, s.beta2, s.oneMinusBeta1, s.oneMinusBeta2,
    s.stepSize, s.invSqrtBc2, s.epsilon, s.weightDecay, s.decay, s.mode);
  commit(backend, targets);
  return true;
}

/** SGD's per-step scalars, as float32 values. */
export interface SgdScalars { momentum: number; negLr: number; weightDecay: number; nesterov: boolean }

/**
 * One fused SGD update (PyTorch's rule: L2 into the gradient, then momentum `buf = mu*buf + g`,
 * Nesterov `g + mu*buf`). `buf` is undefined without momentum. Returns false, having done
 * nothing, where the native path does not apply.
 *
 * @example
 * if (!fusedSgd(w, g, buf, scalars)) { ...tfjs ops... }
 */
export function fusedSgd(w: tf.Variable, g: tf.Tensor, buf: tf.Variable | undefined, s: SgdScalars): boolean {
  const backend = nativeBackend();
  if (!backend) return false;
  const wv = f32(backend, w);
  const gv = f32(backend, g);
  const bv = buf ? f32(backend, buf) : undefined;
  if (!wv || !gv || gv.length !== wv.length || (buf && !bv)) return false;
  const targets = buf ? [target(backend, w), target(backend, buf)] : [target(backend, w)];
  const sgd = loadNativeAddon()!['sgd'] as unknown as SgdFn;
  sgd(wv, gv, bv ?? null, targets[0].out, targets[1]?.out ?? null, s.momentum, s.negLr, s.weightDecay, s.nesterov);
  commit(backend, targets);
  return true;
}
