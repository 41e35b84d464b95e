/**
 * TF.js export: the layers format with optional float16 / uint8 weight quantization, as the
 * TF.js converter writes it and stock `tf.loadLayersModel` reads it.
 *
 * @example
 * import { exportTfjs } from './deploy/tfjs/index.ts';
 * await exportTfjs('runs/mlp/model', { out: 'web/model', quantize: 'float16' });
 */
export { exportTfjs } from './export.ts';
export type { TfjsExportOptions, TfjsExportResult, TfjsQuantize } from './export.ts';
export { quantizeFloat16, quantizeUint8, uint8Range } from './quantize.ts';
export type { QuantizedWeight, WeightQuantization } from './quantize.ts';
