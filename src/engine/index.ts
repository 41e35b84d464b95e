/**
 * The engine: which TF.js backend runs, with which threads and kernels.
 *
 * @example
 * import { initEngine } from './engine/index.ts';
 * const info = await initEngine(); // wasm, all cores, distillery's kernels
 */
export { initEngine, engineInfo, disposeEngine, NATIVE_INSTALL, wasmFallbackNote } from './engine.ts';
export type { BackendName, EngineOptions, EngineInfo } from './engine.ts';
export { registerWasmKernels, unregisterWasmKernels, wasmKernelsActive, wasmKernelNames } from './kernels/register.ts';
export { fusedAdam, fusedSgd } from './native/optim.ts';
export { batchNormTrain } from './native/norm.ts';
export { formatKernelProfile, KernelRecorder, profileKernels } from './native/profile.ts';
export type { FormatProfileOptions, KernelProfile, KernelStat, ProfileOptions } from './native/profile.ts';
