import { existsSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type * as tfl from '@tensorflow/tfjs-layers';
import { DistilleryError, isDistilleryError } from '../../core/errors.ts';
import { Rng } from '../../core/rng.ts';
import type { Reporter } from '../../core/events.ts';
import { silentReporter } from '../../core/events.ts';
import { writeFileAtomic } from '../../core/fs.ts';
import type { Normalization } from '../../data/index.ts';
import { loadModel, METADATA_KEY, MODEL_JSON } from '../../models/index.ts';
import { compareVariants, type OnnxVariant, type VariantReport } from './compare.ts';
import { exportData } from './data.ts';
import { argmaxRows, exportOnnx, onnxGraph, onnxParity, PARITY_TOLERANCE, tfLogits, type OnnxPrecision, type ParityReport } from '../../onnx/index.ts';
import { readModelInputs } from '../../data/index.ts';
import { copyModelInputs, randomIds, rawTextParity, type TextParityReport } from './text.ts';

/**
 * File name of each precision inside the output folder.
 *
 * @example
 * ONNX_FILE_NAMES.int8; // 'model.int8.onnx'
 */
export const ONNX_FILE_NAMES: Record<OnnxPrecision, string> = { fp32: 'model.onnx', fp16: 'model.fp16.onnx', int8: 'model.int8.onnx' };

/**
 * Loads a model folder for export: `MODEL_NOT_FOUND` when there is no folder with a
 * `model.json`, `MODEL_FORMAT` when its files are not a TF.js layers model.
 *
 * @example
 * const model = await loadModelFolder('runs/mlp/model');
 */
export async function loadModelFolder(dir: string): Promise<tfl.LayersModel> {
  if (!existsSync(dir)) throw new DistilleryError('MODEL_NOT_FOUND', `${dir}: no such model folder`, 'pass the folder that `distillery train` or `distill` wrote (run/model, with model.json)', dir);
  if (!statSync(dir).isDirectory()) {
    throw new DistilleryError('MODEL_FORMAT', `${dir}: a file, not a model folder`, 'pass the folder that holds model.json and weights.bin', dir);
  }
  if (!existsSync(join(dir, MODEL_JSON))) {
    throw new DistilleryError('MODEL_NOT_FOUND', `${dir}: not a model folder (no ${MODEL_JSON})`, 'pass the folder that `distillery train` or `distill` wrote (run/model, with model.json)', dir);
  }
  try {
    return await loadModel(dir);
  } catch (e) {
    if (isDistilleryError(e) && e.code === 'MODEL_NOT_FOUND') throw e;
    const why = (e as Error).message.split('\n')[0];
    throw new DistilleryError('MODEL_FORMAT', `${join(dir, MODEL_JSON)}: not a TF.js layers model (${why})`, 'pass a folder saved by distillery or by TF.js model.save', dir);
  }
}

/** Options of {@link exportOnnxFolder}. */
export interface ExportFolderOptions {
  /** Output folder; receives `model.onnx`, `model.fp16.onnx` or `model.int8.onnx`. */
  out: string;
  /** Default fp32. */
  precision?: OnnxPrecision;
  /** A config file naming the data to score on and calibrate with (see `exportData`). */
  dataConfig?: string;
  /** onnxruntime threads while timing; default 1. */
  threads?: number;
  /** Measure size/accuracy/latency against fp32 (default true). */
  compare?: boolean;
  /** Batch sizes to time; default [1, 32]. */
  batches?: readonly number[];
  /**
   * Write the file even when the fp32 export misses parity with the TF.js model (a warning
   * instead of `EXPORT_PARITY`); the result's `parity.ok` is then false. Default false.
   */
  acceptParityMiss?: boolean;
  reporter?: Reporter;
}

/** What {@link exportOnnxFolder} wrote and measured; also the CLI's `done` event. */
export interface ExportFolderResult {
  format: 'onnx';
  file: string;
  precision: OnnxPrecision;
  bytes: number;
  /** Which data the accuracy columns were measured on (`run`: the files the run folder's config.json names). */
  data: 'mnist' | 'config' | 'run' | 'none';
  /** fp32 first, then the exported precision (when not fp32). */
  variants: VariantReport[];
  /**
   * The fp32 ONNX export against the TF.js model on the labelled test set (or, when no data is
   * known, on 256 seeded random inputs): every logit and every predicted class. Always checked;
   * `ok` is false only when the miss was accepted (`acceptParityMiss`).
   */
  parity: ParityReport;
  /**
   * For a text model with labelled texts: `tokenizer.json` + the fp32 ONNX on the raw test
   * texts against TF.js on the training-time ids, text by text. Always checked when there
   * are texts; `ok` is false only when the miss was accepted (`acceptParityMiss`).
   */
  textParity?: TextParityReport;
  /** `labels.json` and `tokenizer.json` copied beside the exported file. */
  inputs: string[];
}

/**
 * `distillery export MODEL --format onnx`: loads a saved model, exports it in the precision
 * asked for (int8 calibrated on the model's training data), writes the file atomically
 * into `out`, and compares it with fp32 in onnxruntime-node. Every input is checked before
 * anything is written, and so is parity: an fp32 export whose outputs differ from the TF.js
 * model's beyond {@link PARITY_TOLERANCE} (or in any predicted class) throws `EXPORT_PARITY`
 * and writes nothing, unless `acceptParityMiss`.
 *
 * @example
 * const r = await exportOnnxFolder('runs/mlp/model', { out: 'runs/mlp/export', precision: 'int8' });
 * r.variants[1].sizeRatio; // ~3.8
 */
export async function exportOnnxFolder(modelDir: string, opts: ExportFolderOptions): Promise<ExportFolderResult> {
  const report = opts.reporter ?? silentReporter;
  const precision = opts.precision ?? 'fp32';
  const model = await loadModelFolder(modelDir);
  try {
    onnxGraph(model); // EXPORT_UNSUPPORTED before any data is read
    const { tokenizer } = readModelInputs(modelDir); // TOKENIZER_FORMAT on a broken tokenizer.json, as early
    const meta = ((model.getUserDefinedMetadata() as Record<string, unknown> | undefined)?.[METADATA_KEY] ?? {}) as { normalization?: Normalization };
    const inputShape = model.inputs[0]!.shape.slice(1) as number[];
    const data = await exportData(modelDir, inputShape, meta.normalization, opts.dataConfig !== undefined ? { dataConfig: opts.dataConfig } : {});
    if (precision === 'int8' && !data.calibration) {
      throw new DistilleryError(
        'EXPORT_CALIBRATION',
        `${modelDir}: an int8 export needs calibration samples, and the model's training data is not known`,
        'pass --data CONFIG (a config whose data: section names the training data), or export --quantize fp16',
        '--data',
      );
    }
    const fp32 = await exportOnnx(model);
    const bytes = precision === 'fp32' ? fp32 : await exportOnnx(model, { precision, ...(data.calibration ? { calibration: data.calibration } : {}) });
    // parity before anything is written: a file that does not compute what was trained is never
    // left behind under a name that says it is the model (docs/deploy.md, "Parity")
    const x = data.test?.x ?? (tokenizer ? randomIds(inputShape[0]!, tokenizer.vocabSize, 256) : randomInputs(inputShape, 256));
    const ref = tfLogits(model, x, inputShape);
    const parity = await onnxParity(model, fp32, x, inputShape, ref);
    const how = `max |onnx - tfjs| ${parity.maxAbsDiff.toExponential(1)} over ${parity.samples.toLocaleString('en-US')} ${data.test ? 'test' : 'random'} samples, ${parity.classDiffers} predicted classes differ`;
    const texts = data.test?.texts;
    const textParity = tokenizer && texts ? await rawTextParity(fp32, tokenizer, texts, inputShape[0]!, argmaxRows(ref, ref.length / parity.samples), x) : undefined;
    const textHow = textParity ? `tokenizer.json + ONNX on ${textParity.samples.toLocaleString('en-US')} raw test texts: ${textParity.classDiffers} classes differ from TF.js on the training-time ids (${textParity.idsDiffer} texts tokenized differently)` : '';
    if (!parity.ok && !opts.acceptParityMiss) {
      throw new DistilleryError(
        'EXPORT_PARITY',
        `${modelDir}: the ONNX export does not compute what the TF.js model does (${how}; tolerance ${PARITY_TOLERANCE}, no class may differ); nothing written`,
        'please report this model (its model.json) as an exporter bug; --accept-parity-miss writes the file anyway',
        modelDir,
      );
    }
    if (textParity && !textParity.ok && !opts.acceptParityMiss) {
      throw new DistilleryError(
        'EXPORT_TEXT_PARITY',
        `${modelDir}: the exported model does not read raw texts as training did (${textHow}); nothing written`,
        "the model folder's tokenizer.json is not the one its training data was encoded with: export from the folder that train or distill wrote; --accept-parity-miss writes the file anyway",
        join(modelDir, 'tokenizer.json'),
      );
    }
    if (parity.ok) report({ event: 'info', message: `parity: ${how}` });
    else report({ event: 'warning', message: `parity NOT within ${PARITY_TOLERANCE}: ${how}; written anyway (--accept-parity-miss); please report this model (its model.json) as an exporter bug` });
    if (textParity) report({ event: textParity.ok ? 'info' : 'warning', message: `raw-text parity${textParity.ok ? '' : ' NOT met (written anyway: --accept-parity-miss)'}: ${textHow}` });
    const file = resolve(opts.out, ONNX_FILE_NAMES[precision]);
    writeFileAtomic(file, bytes);
    const inputs = copyModelInputs(modelDir, opts.out);
    report({ event: 'info', message: `wrote ${file} (${bytes.length.toLocaleString('en-US')} bytes)${inputs.length > 0 ? ` and ${inputs.map((f) => basename(f)).join(', ')}` : ''}` });
    let variants: VariantReport[] = [];
    if (opts.compare ?? true) {
      const list: OnnxVariant[] = [{ precision: 'fp32', bytes: fp32 }];
      if (precision !== 'fp32') list.push({ precision, bytes });
      report({ event: 'info', message: `measuring ${list.map((v) => v.precision).join(' and ')} in onnxruntime${data.test ? ` on ${data.test.y.length.toLocaleString('en-US')} test samples` : ' (no labelled data known: size and latency only; pass --data CONFIG for accuracy)'}` });
      variants = await compareVariants(list, inputShape, {
        ...(data.test ? { test: data.test } : {}),
        ...(opts.threads !== undefined ? { threads: opts.threads } : {}),
        ...(opts.batches ? { batches: opts.batches } : {}),
      });
    }
    return { format: 'onnx', file, precision, bytes: bytes.length, data: data.source, variants, parity, ...(textParity ? { textParity } : {}), inputs };
  } finally {
    model.dispose();
  }
}

/** Seeded inputs in [0, 1) for a parity check when no real samples are known. */
function randomInputs(shape: readonly number[], n: number): Float32Array {
  const rng = new Rng(12345);
  const x = new Float32Array(n * shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < x.length; i++) x[i] = rng.next();
  return x;
}
