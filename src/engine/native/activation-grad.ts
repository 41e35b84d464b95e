/**
 * One-pass gradients of the clipping activations on the native backend. TF.js builds
 * ClipByValue's gradient from five full-size ops (GreaterEqual, LessEqual, LogicalAnd,
 * ZerosLike, Select), Relu's from Step and Multiply, Relu6's from four; a MobileNetV2 block
 * (relu6 = ClipByValue over Relu in tfjs-layers' ReLU layer) spends more time in those than in
 * its convolutions. Here each is one kernel that reads dy and x once (native/src/act_grad.cc).
 * So is the gradient of Minimum / Maximum against a scalar (tfjs-layers' relu6 activation is
 * `minimum(6, relu(x))`): TF.js runs a comparison, a Cast and a Multiply for it.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from './addon.ts';
import { allocF32, kernel, values } from './elementwise-util.ts';

/** The kernel behind the gradients below; only the native backend has it. */
export const ACTIVATION_GRAD = 'NativeActivationGrad';

/** Mode codes of act_grad.cc. */
const MODE = { ClipByValue: 0, Relu: 1, Relu6: 2 } as const;
type Activation = keyof typeof MODE;
/** Modes of the Minimum / Maximum gradients: dy where `x <op> bound`. */
const LESS = 3;
const LESS_EQUAL = 4;
const GREATER = 5;
const GREATER_EQUAL = 6;

type ActGradFn = (mode: number, dy: Float32Array, x: Float32Array, dx: Float32Array, lo: number, hi: number) => void;

const installed = new Set<Activation>();

/**
 * Route `name`'s gradient through {@link ACTIVATION_GRAD} while the native backend runs, and
 * through TF.js's own gradient elsewhere (gradients are global, not per backend; the same
 * technique as FusedBatchNorm's in norm.ts). Nothing happens where no gradient is registered
 * yet (tfjs-layers, which registers them, not loaded).
 */
function installGradient(name: Activation): void {
  if (installed.has(name)) return;
  const original = tf.getGradient(name);
  if (!original) return;
  installed.add(name);
  tf.registerGradient({
    kernelName: name,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved as tf.Tensor[];
      const g = dy as tf.Tensor;
      if (tf.getBackend() !== 'native' || !x || x.dtype !== 'float32' || g.dtype !== 'float32'
        || !tf.util.arraysEqual(x.shape, g.shape)) {
        return original.gradFunc(dy, saved, attrs);
      }
      const a = attrs as { clipValueMin?: number; clipValueMax?: number } | undefined;
      const lo = name === 'ClipByValue' ? Number(a?.clipValueMin) : 0;
      const hi = name === 'ClipByValue' ? Number(a?.clipValueMax) : 6;
      return { x: () => tf.engine().runKernel(ACTIVATION_GRAD, { dy: g, x }, { mode: MODE[name], lo, hi }) as tf.Tensor };
    },
  });
}

const boundInstalled = new Set<string>();

/**
 * Minimum's / Maximum's gradient with one scalar operand (a bound): for the tensor operand one
 * native pass; the scalar's own gradient (rarely wanted) and every other case keep TF.js's.
 */
function installBoundGradient(name: 'Minimum' | 'Maximum'): void {
  if (boundInstalled.has(name)) return;
  const original = tf.getGradient(name);
  if (!original) return;
  boundInstalled.add(name);
  tf.registerGradient({
    kernelName: name,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved, attrs) => {
      const grads = original.gradFunc(dy, saved, attrs);
      const [a, b] = saved as tf.Tensor[];
      const g = dy as tf.Tensor;
      if (tf.getBackend() !== 'native' || !a || !b || a.dtype !== 'float32' || b.dtype !== 'float32' || g.dtype !== 'float32') return grads;
      const scalarA = a.size === 1 && tf.util.arraysEqual(b.shape, g.shape);
      const scalarB = b.size === 1 && tf.util.arraysEqual(a.shape, g.shape);
      if (scalarA === scalarB) return grads;
      const x = scalarA ? b : a;
      const bound = scalarA ? a : b;
      // Minimum: dA = dy * (a <= b), dB = dy * (a > b); Maximum: dA = dy * (a >= b), dB = dy * (a < b)
      const mode = name === 'Minimum' ? (scalarA ? LESS : LESS_EQUAL) : (scalarA ? GREATER : GREATER_EQUAL);
      const which = scalarA ? 'b' : 'a';
      return {
        ...grads,
        [which]: () => tf.engine().runKernel(ACTIVATION_GRAD, { dy: g, x }, { mode, lo: bound.dataSync()[0]!, hi: 0 }) as tf.Tensor,
      };
    },
  });
}

/**
 * The native backend's activation-gradient kernel, with the ClipByValue, Relu, Relu6 and
 * scalar-bound Minimum / Maximum gradients routed through it (installed as the kernels register).
 *
 * @example
 * const kernels = activationGradKernels(loadNativeAddon()!); // [NativeActivationGrad]
 */
export function activationGradKernels(addon: NativeAddon): tf.KernelConfig[] {
  if (typeof addon['actGrad'] !== 'function') return [];
  for (const name of Object.keys(MODE) as Activation[]) installGradient(name);
  installBoundGradient('Minimum');
  installBoundGradient('Maximum');
  return [kernel(ACTIVATION_GRAD, ({ inputs, backend, attrs }) => {
    const { dy, x } = inputs as { dy: tf.TensorInfo; x: tf.TensorInfo };
    const { mode, lo, hi } = attrs as { mode: number; lo: number; hi: number };
    const dx = allocF32(tf.util.sizeFromShape(x.shape));
    // looked up at each call, so that tests can count the calls (compare.ts's spyOn)
    if (dx.length > 0) (addon['actGrad'] as unknown as ActGradFn)(mode, values(backend, dy), values(backend, x), dx, lo, hi);
    return backend.makeTensorInfo(x.shape, 'float32', dx);
  })];
}
