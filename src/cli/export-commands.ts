import { dirname, join, resolve } from 'node:path';
import type { OnnxPrecision } from '../onnx/index.ts';
import type { CommandSpec } from './spec.ts';
import { choice, positiveInt, positiveInts } from './options.ts';
import { table } from './reporters.ts';

const FORMATS = ['onnx', 'tfjs'] as const;
const QUANTIZE = ['int8', 'fp16'] as const;

function kb(bytes: number): string {
  return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(2)} MB` : `${(bytes / 1e3).toFixed(1)} KB`;
}

/**
 * `distillery export MODEL --format onnx|tfjs [--quantize int8|fp16] [--out DIR] [--data CONFIG]`.
 * ONNX: writes `DIR/model.onnx` (`model.fp16.onnx`, `model.int8.onnx`) and prints its size,
 * accuracy and latency against fp32 in onnxruntime (accuracy on the MNIST test set when the
 * model learnt from built-in MNIST, on `--data`'s test part when given, else size and latency
 * only). TF.js: the layers format, `--quantize fp16` = float16 weights, `int8` = uint8 affine.
 * `DIR` defaults to `export/` beside the model folder.
 *
 * @example
 * // distillery export runs/mlp/model --format onnx --quantize int8 --out dist/
 * // lead: import { exportCommands } from './export-commands.ts' and append them to `commands`
 */
export const exportCommands: CommandSpec[] = [
  {
    name: 'export',
    description: 'export a trained model to ONNX (fp32, fp16, int8) or TF.js, with its size, accuracy and latency against fp32',
    args: [{ name: 'model', description: 'model folder written by train or distill (holds model.json)', required: true }],
    options: [
      { flags: '--format <format>', description: `output format: ${FORMATS.join(' | ')} (default onnx)` },
      { flags: '--quantize <type>', description: `int8 | fp16 (ONNX: QDQ int8 calibrated on training data, or fp16 weights; TF.js: uint8 or float16 weights)` },
      { flags: '-o, --out <dir>', description: 'output folder (default: export/ beside the model folder)' },
      { flags: '--data <config>', description: 'config whose data: section gives test samples (accuracy) and training samples (int8 calibration)' },
      { flags: '--threads <n>', description: 'onnxruntime threads while timing (default 1)' },
      { flags: '--batch <sizes>', description: 'batch sizes to time, e.g. 1,32 (default 1,32)' },
      { flags: '--no-compare', description: 'write the file only: skip the comparison with fp32 (parity with TF.js is still checked)' },
      { flags: '--accept-parity-miss', description: 'write the ONNX file even when its outputs differ from the TF.js model beyond tolerance (default: error EXPORT_PARITY, nothing written)' },
    ],
    async run(args, opts, flags) {
      // every flag is checked before the model is read, so bad input writes nothing
      const format = choice('format', 'format', opts['format'], FORMATS, 'EXPORT_FORMAT') ?? 'onnx';
      const quantize = choice('quantize', 'quantization', opts['quantize'], QUANTIZE, 'EXPORT_QUANTIZE');
      const threads = positiveInt('threads', opts['threads']);
      const batches = positiveInts('batch', opts['batch']);
      const modelDir = resolve(args[0]!);
      const out = resolve(typeof opts['out'] === 'string' ? opts['out'] : join(dirname(modelDir), 'export'));
      // imported after the flags are checked: TF.js and onnxruntime load only for a real export
      const { initEngine } = await import('../engine/index.ts');
      const engine = await initEngine({ backend: 'cpu' });
      flags.reporter({ event: 'start', command: 'export', model: modelDir, format, quantize: quantize ?? 'none', out, engine });
      if (format === 'tfjs') {
        const { loadModelFolder } = await import('../deploy/onnx/index.ts');
        (await loadModelFolder(modelDir)).dispose();
        const { exportTfjs } = await import('../deploy/tfjs/index.ts');
        const r = await exportTfjs(modelDir, { out, ...(quantize ? { quantize: quantize === 'fp16' ? 'float16' : 'uint8' } : {}) });
        flags.reporter({ event: 'done', command: 'export', format, ...r });
        if (!flags.json) {
          process.stdout.write(table([
            ['variant', 'weights', 'vs fp32', 'total'],
            [r.quantize === 'none' ? 'fp32' : r.quantize, kb(r.weightBytes), r.weightBytes === r.fp32WeightBytes ? '-' : `${(r.fp32WeightBytes / r.weightBytes).toFixed(2)}x smaller`, kb(r.totalBytes)],
          ]));
          process.stdout.write(`wrote ${r.files.length} files to ${r.dir}\n`);
        }
        return;
      }
      const precision: OnnxPrecision = quantize ?? 'fp32';
      const { exportOnnxFolder, variantRows } = await import('../deploy/onnx/index.ts');
      const r = await exportOnnxFolder(modelDir, {
        out,
        precision,
        reporter: flags.reporter,
        compare: opts['compare'] !== false,
        acceptParityMiss: opts['acceptParityMiss'] === true,
        ...(typeof opts['data'] === 'string' ? { dataConfig: opts['data'] } : {}),
        ...(threads !== undefined ? { threads } : {}),
        ...(batches ? { batches } : {}),
      });
      flags.reporter({ event: 'done', command: 'export', ...r });
      if (!flags.json) {
        if (r.variants.length > 0) process.stdout.write(table(variantRows(r.variants)));
        const on = r.data === 'mnist' ? 'accuracy on the MNIST test set' : r.data === 'config' ? 'accuracy on the --data test set' : r.data === 'run' ? "data from the run's config.json" : 'no labelled data known (pass --data CONFIG for accuracy)';
        process.stdout.write(`wrote ${r.file} (${kb(r.bytes)}); ${on}; latency: onnxruntime CPU, ${threads ?? 1} thread(s)\n`);
        const p = r.parity;
        process.stdout.write(`parity with TF.js (fp32): max |diff| ${p.maxAbsDiff.toExponential(1)}, ${p.samples - p.classDiffers}/${p.samples} same class${p.ok ? '' : ' (NOT within tolerance: accepted by --accept-parity-miss)'}\n`);
      }
    },
  },
];
