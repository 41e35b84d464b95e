import * as tf from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { NativeAddon } from './addon.ts';
import { allFloat, allocOutput, stockKernel, valuesOf } from './conv.ts';

/** The batch-norm functions in the addon (native/src/norm.cc). */
interface NormAddon {
  batchNorm(x: Float32Array, mean: Float32Array, variance: Float32Array, scale: Float32Array, offset: Float32Array,
    y: Float32Array, channels: number, eps: number): void;
  batchNormGrad(dy: Float32Array, x: Float32Array, mean: Float32Array, variance: Float32Array, scale: Float32Array,
    dx: Float32Array, dmean: Float32Array, dvariance: Float32Array, dscale: Float32Array, doffset: Float32Array,
    channels: number, eps: number): void;
  batchNormTrain(x: Float32Array, scale: Float32Array, offset: Float32Array, y: Float32Array, mean: Float32Array,
    variance: Float32Array, channels: number, eps: number): void;
  batchNormTrainGrad(dy: Float32Array, dmean: Float32Array, dvariance: Float32Array, x: Float32Array, mean: Float32Array,
    variance: Float32Array, scale: Float32Array, dx: Float32Array, dscale: Float32Array, doffset: Float32Array,
    channels: number, eps: number): void;
}

/**
 * The kernel that computes every partial derivative of FusedBatchNorm in one pass; only the
 * native backend has it, and FusedBatchNorm's gradient calls it there (see `normKernels`).
 */
export const BATCH_NORM_GRAD = 'NativeFusedBatchNormGrad';

/** Training-mode batch norm in one kernel (moments and normalisation): see {@link batchNormTrain}. */
export const BATCH_NORM_TRAIN = 'NativeBatchNormTrain';
const BATCH_NORM_TRAIN_GRAD = 'NativeBatchNormTrainGrad';

const DEFAULT_EPS = 0.001; // the stock kernel's default when varianceEpsilon is absent

/**
 * A per-channel parameter as a length-C array: the stock kernel indexes parameters cyclically,
 * so a size-C tensor is per last-axis channel and a size-1 tensor is a scalar. Anything else
 * (undefined when absent and no default) is left to the stock kernel.
 */
function perChannel(backend: MathBackendCPU, t: tf.TensorInfo | undefined, c: number, dflt: number | undefined): Float32Array | undefined {
  if (t == null) return dflt === undefined ? undefined : new Float32Array(c).fill(dflt);
  const n = tf.util.sizeFromShape(t.shape);
  const v = valuesOf(backend, t);
  if (n === c) return v;
  if (n === 1) return new Float32Array(c).fill(v[0]!);
  return undefined;
}

function channelsOf(x: tf.TensorInfo): number {
  return x.shape.length === 0 ? 1 : x.shape[x.shape.length - 1]!;
}

let gradientInstalled = false;

/**
 * Route FusedBatchNorm's gradient through one native kernel while the native backend runs,
 * and through TF.js's own gradient everywhere else. Gradients are global in TF.js (not per
 * backend), hence the check of the active backend at each call.
 */
function installGradient(): void {
  if (gradientInstalled) return;
  const original = tf.getGradient('FusedBatchNorm');
  if (!original) return; // no gradients registered (tfjs-layers not loaded): nothing to route
  gradientInstalled = true;
  tf.registerGradient({
    kernelName: 'FusedBatchNorm',
    inputsToSave: ['x', 'mean', 'variance', 'scale'],
    gradFunc: (dy, saved, attrs) => {
      const [x, mean, variance, scale] = saved as Array<tf.Tensor | undefined>;
      const g = dy as tf.Tensor;
      const c = x ? channelsOf(x) : 0;
      const fits = (t: tf.Tensor | undefined): boolean => t == null || t.size === c || t.size === 1;
      if (tf.getBackend() !== 'native' || !x || !mean || !variance || x.dtype !== 'float32' || g.dtype !== 'float32'
        || !fits(mean) || !fits(variance) || !fits(scale) || x.size === 0) {
        return original.gradFunc(dy, saved, attrs);
      }
      const inputs: tf.NamedTensorMap = { dy: g, x, mean, variance };
      if (scale) inputs['scale'] = scale;
      const [dx, dmean, dvariance, dscale, doffset] = tf.engine().runKernel(BATCH_NORM_GRAD, inputs,
        attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
      // each partial derivative in its parameter's shape; offset has the mean's shape
      const shaped = (t: tf.Tensor, like: tf.Tensor | undefined): tf.Tensor =>
        (like && like.size === t.size ? tf.reshape(t, like.shape) : like ? tf.reshape(tf.sum(t), like.shape) : t);
      return {
        x: () => dx!,
        mean: () => shaped(dmean!, mean),
        variance: () => shaped(dvariance!, variance),
        scale: () => shaped(dscale!, scale ?? mean),
        offset: () => shaped(doffset!, mean),
      };
    },
  });
}

let trainGradientInstalled = false;

function installTrainGradient(): void {
  if (trainGradientInstalled) return;
  trainGradientInstalled = true;
  tf.registerGradient({
    kernelName: BATCH_NORM_TRAIN,
    inputsToSave: ['x', 'scale'],
    outputsToSave: [false, true, true],
    gradFunc: (dys, saved, attrs) => {
      const [dy, dmean, dvariance] = dys as tf.Tensor[];
      const [x, scale, mean, variance] = saved as tf.Tensor[];
      const [dx, dscale, doffset] = tf.engine().runKernel(BATCH_NORM_TRAIN_GRAD,
        { dy: dy!, dmean: dmean!, dvariance: dvariance!, x: x!, mean: mean!, variance: variance!, scale: scale! },
        attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
      return { x: () => dx!, scale: () => dscale!, offset: () => doffset! };
    },
  });
}

/**
 * Training-mode batch normalisation over every axis but the last (NHWC's N, H and W): the
 * batch mean and (biased) variance, and `(x - mean) / sqrt(variance + eps) * scale + offset`.
 * On the native backend it is one kernel forward and one backward (two passes over the data
 * each) where `tf.moments` + `tf.batchNorm` and their gradients take ~25 full-size ops; elsewhere
 * it is exactly that composition. `scale` and `offset` hold one value per channel.
 *
 * @example
 * const { y, mean, variance } = batchNormTrain(x, gamma, beta, 1e-3); // x [N, H, W, C], gamma/beta [C]
 */
export function batchNormTrain(x: tf.Tensor, scale: tf.Tensor1D, offset: tf.Tensor1D, eps = DEFAULT_EPS):
  { y: tf.Tensor; mean: tf.Tensor1D; variance: tf.Tensor1D } {
  const c = channelsOf(x);
  const native = tf.getBackend() === 'native' && tf.findBackend('native') !== null && trainGradientInstalled
    && x.dtype === 'float32' && x.size > 0 && scale.size === c && offset.size === c;
  if (native) {
    const [y, mean, variance] = tf.engine().runKernel(BATCH_NORM_TRAIN, { x, scale, offset },
      { varianceEpsilon: eps }) as tf.Tensor[];
    return { y: y!, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
  }
  return tf.tidy(() => {
    const axes = x.shape.map((_, i) => i).slice(0, -1);
    const { mean, variance } = tf.moments(x, axes);
    return { y: tf.batchNorm(x, mean, variance, offset, scale, eps), mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
  });
}

/**
 * Native batch-norm kernels: FusedBatchNorm (what `tf.batchNorm` and tfjs-layers'
 * BatchNormalization run) and `NativeFusedBatchNormGrad`, whose single pass replaces the chain
 * of elementwise ops of TF.js's gradient of FusedBatchNorm on the native backend; and the
 * training-mode pair behind {@link batchNormTrain}.
 *
 * @example
 * const kernels = normKernels(loadNativeAddon()!); // FusedBatchNorm, NativeFusedBatchNormGrad
 */
export function normKernels(addon: NativeAddon): tf.KernelConfig[] {
  if (typeof addon['batchNorm'] !== 'function') return [];
  const a = addon as unknown as NormAddon;
  const stock = stockKernel('FusedBatchNorm');
  installGradient();
  installTrainGradient();

  const forward: tf.KernelFunc = (args) => {
    const backend = args.backend as MathBackendCPU;
    const { x, mean, variance, scale, offset } = args.inputs as Record<string, tf.TensorInfo | undefined>;
    const eps = (args.attrs as { varianceEpsilon?: number } | undefined)?.varianceEpsilon ?? DEFAULT_EPS;
    if (!x || !mean || !variance || !allFloat(x, mean, variance, scale, offset)) return stock(args);
    const c = channelsOf(x);
    const m = perChannel(backend, mean, c, undefined);
    const v = perChannel(backend, variance, c, undefined);
    const s = perChannel(backend, scale, c, 1);
    const o = perChannel(backend, offset, c, 0);
    if (!m || !v || !s || !o) return stock(args);
    const y = allocOutput(tf.util.sizeFromShape(x.shape));
    a.batchNorm(valuesOf(backend, x), m, v, s, o, y, c, eps);
    return backend.makeTensorInfo(x.shape, 'float32', y);
  };

  const backward: tf.KernelFunc = (args) => {
    const backend = args.backend as MathBackendCPU;
    const { dy, x, mean, variance, scale } = args.inputs as Record<string, tf.TensorInfo>;
    const eps = (args.attrs as { varianceEpsilon?: number } | undefined)?.varianceEpsilon ?? DEFAULT_EPS;
    const c = channelsOf(x!);
    const m = perChannel(backend, mean, c, undefined)!;
    const v = perChannel(backend, variance, c, undefined)!;
    const s = perChannel(backend, scale, c, 1)!;
    const dx = allocOutput(tf.util.sizeFromShape(x!.shape));
    const parts = [0, 1, 2, 3].map(() => new Float32Array(c));
    a.batchNormGrad(valuesOf(backend, dy!), valuesOf(backend, x!), m, v, s, dx, parts[0]!, parts[1]!, parts[2]!, parts[3]!, c, eps);
    return [backend.makeTensorInfo(x!.shape, 'float32', dx), ...parts.map((p) => backend.makeTensorInfo([c], 'float32', p))];
  };

  const train: tf.KernelFunc = (args) => {
    const backend = args.backend as MathBackendCPU;
    const { x, scale, offset } = args.inputs as Record<string, tf.TensorInfo>;
    const eps = (args.attrs as { varianceEpsilon?: number } | undefined)?.varianceEpsilon ?? DEFAULT_EPS;
    const c = channelsOf(x!);
    const y = allocOutput(tf.util.sizeFromShape(x!.shape));
    const mean = new Float32Array(c);
    const variance = new Float32Array(c);
    a.batchNormTrain(valuesOf(backend, x!), valuesOf(backend, scale!), valuesOf(backend, offset!), y, mean, variance, c, eps);
    return [backend.makeTensorInfo(x!.shape, 'float32', y), backend.makeTensorInfo([c], 'float32', mean),
      backend.makeTensorInfo([c], 'float32', variance)];
  };

  const trainGrad: tf.KernelFunc = (args) => {
    const backend = args.backend as MathBackendCPU;
    const { dy, dmean, dvariance, x, mean, variance, scale } = args.inputs as Record<string, tf.TensorInfo>;
    const eps = (args.attrs as { varianceEpsilon?: number } | undefined)?.varianceEpsilon ?? DEFAULT_EPS;
    const c = channelsOf(x!);
    const dx = allocOutput(tf.util.sizeFromShape(x!.shape));
    const dscale = new Float32Array(c);
    const doffset = new Float32Array(c);
    a.batchNormTrainGrad(valuesOf(backend, dy!), valuesOf(backend, dmean!), valuesOf(backend, dvariance!), valuesOf(backend, x!),
      valuesOf(backend, mean!), valuesOf(backend, variance!), valuesOf(backend, scale!), dx, dscale, doffset, c, eps);
    return [backend.makeTensorInfo(x!.shape, 'float32', dx), backend.makeTensorInfo([c], 'float32', dscale),
      backend.makeTensorInfo([c], 'float32', doffset)];
  };

  return [
    { kernelName: 'FusedBatchNorm', backendName: 'native', kernelFunc: forward },
    { kernelName: BATCH_NORM_GRAD, backendName: 'native', kernelFunc: backward },
    { kernelName: BATCH_NORM_TRAIN, backendName: 'native', kernelFunc: train },
    { kernelName: BATCH_NORM_TRAIN_GRAD, backendName: 'native', kernelFunc: trainGrad },
  ];
}
