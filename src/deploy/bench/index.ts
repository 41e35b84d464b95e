/**
 * Latency benchmarks on onnxruntime-node and TF.js wasm: warm-up, then p50/p95/p99 and
 * throughput per batch size.
 *
 * @example
 * import { bench } from './deploy/bench/index.ts';
 * const r = await bench('runs/mlp/model', { runtime: 'tfjs-wasm', batches: [1, 32] });
 */
export { bench, timeRunner } from './bench.ts';
export type { BenchOptions, BenchResult } from './bench.ts';
export { onnxRunner, runtimeName, RUNTIMES, tfjsRunner } from './runners.ts';
export type { PreparedRun, Runner, RuntimeName } from './runners.ts';
export { onnxBytesOf, onnxSpecOf } from './onnx-source.ts';
export { latencyStats, percentile, timeRuns } from './stats.ts';
export type { LatencyStats, TimingOptions } from './stats.ts';
