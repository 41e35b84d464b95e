import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { DistilleryError, isDistilleryError } from '../../core/errors.ts';
import { readConfigFile } from '../../config/index.ts';
import { loadData, loadMnist, noNormalization, normalize, parseDataConfig } from '../../data/index.ts';
import { METADATA_KEY } from '../../models/index.ts';
import type { Dataset, Normalization } from '../../data/index.ts';
import type { CalibrationOptions } from '../../onnx/index.ts';
import type { LabelledSamples } from './compare.ts';

/** Where an export's accuracy figures and int8 calibration samples come from. */
export interface ExportData {
  /** Scored by `compareVariants`; absent when no labelled data is known. */
  test?: LabelledSamples;
  /** Training samples for int8 activation ranges. */
  calibration?: CalibrationOptions;
  /**
   * `mnist` (the model says it learnt from built-in MNIST), `config` (--data), `run` (the user's
   * files named in the run folder's `config.json`), or `none`.
   */
  source: 'mnist' | 'config' | 'run' | 'none';
}

/** Options of {@link exportData}. */
export interface ExportDataOptions {
  /** A config file whose `data:` section (or the whole file, if it is one) names the data. */
  dataConfig?: string;
  /** Calibration samples taken from the training part; default 1000. */
  calibrationLimit?: number;
}

/**
 * Whether the model in `modelDir` learnt from the built-in MNIST source: read from the run's
 * `config.json` beside the model folder (as `distillery train` / `distill` write it), or from
 * the `dataSource` the model's own metadata records (a search trial's model).
 *
 * @example
 * trainedOnMnist('runs/mlp/model'); // true after `distillery train --config examples/mnist-mlp.yaml`
 */
export function trainedOnMnist(modelDir: string): boolean {
  const source = readJson(join(modelDir, '..', 'config.json'), (j) => (j as { data?: { source?: unknown } }).data?.source);
  if (source === 'mnist' || (typeof source === 'object' && source !== null && (source as { type?: unknown }).type === 'mnist')) return true;
  return readJson(join(modelDir, 'model.json'), (j) => (j as { userDefinedMetadata?: Record<string, { dataSource?: unknown }> }).userDefinedMetadata?.[METADATA_KEY]?.dataSource) === 'mnist';
}

function readJson(file: string, pick: (json: unknown) => unknown): unknown {
  if (!existsSync(file)) return undefined;
  try {
    return pick(JSON.parse(readFileSync(file, 'utf8')));
  } catch {
    return undefined;
  }
}

function labelled(ds: Dataset): LabelledSamples {
  return { x: ds.x, y: ds.y, shape: ds.shape, ...(ds.text ? { texts: ds.text.texts } : {}) };
}

function checkShape(ds: Dataset, inputShape: readonly number[], where: string): void {
  if (ds.shape.join(',') !== inputShape.join(',')) {
    throw new DistilleryError(
      'EXPORT_DATA_SHAPE',
      `${where}: samples have shape [${ds.shape.join(', ')}] but the model takes [${inputShape.join(', ')}]`,
      'pass the data the model was trained on',
      where,
    );
  }
}

/**
 * The test samples and calibration samples for exporting a saved model, normalised with the
 * statistics saved in the model (never refitted): from `--data CONFIG` when given, else the
 * MNIST test set (all 10,000) and the first training images when the model learnt from
 * built-in MNIST, else the user's files that the run folder's `config.json` names (as
 * `distillery train` / `distill` write it beside the model folder), else none.
 *
 * @example
 * const data = await exportData('runs/mlp/model', [28, 28, 1], norm);
 * data.test?.y.length; // 10000
 */
export async function exportData(modelDir: string, inputShape: readonly number[], norm: Normalization | undefined, opts: ExportDataOptions = {}): Promise<ExportData> {
  const stats = norm ?? noNormalization;
  const limit = opts.calibrationLimit ?? 1000;
  const file = opts.dataConfig;
  if (file !== undefined) {
    const raw = await readConfigFile(file);
    const section = (raw.value['data'] ?? raw.value) as Record<string, unknown>;
    // a text model reads --data's texts with its own tokenizer: a vocabulary built from other texts would give other ids
    const text = textSection(section, modelDir);
    return fromSection(text ? { ...section, text } : section, dirname(raw.file ?? resolve(file)), file, 'config', inputShape, stats, limit);
  }
  if (trainedOnMnist(modelDir)) {
    const test = normalize(loadMnist('test'), stats);
    const train = normalize(loadMnist('train', limit), stats);
    checkShape(test, inputShape, `${modelDir} (built-in MNIST)`);
    return { source: 'mnist', test: labelled(test), calibration: { x: train.x, shape: inputShape, limit } };
  }
  const run = join(modelDir, '..', 'config.json');
  const section = readJson(run, (j) => (j as { data?: unknown }).data);
  if (section && typeof section === 'object') {
    // A text run's vocabulary came from its training part: rebuilt from the same split (the
    // run's validation share and seed), the test ids are those training computed, which the
    // raw-text parity check holds the saved tokenizer.json to.
    const text = existsSync(join(modelDir, 'tokenizer.json'));
    const seed = text ? readJson(run, (j) => (j as { seed?: unknown }).seed) : undefined;
    const asRun = text ? { keepValidation: true, seed: typeof seed === 'number' ? seed : 1 } : {};
    // runs write absolute data paths; an older run's relative ones are taken from here
    try {
      return await fromSection(section as Record<string, unknown>, process.cwd(), run, 'run', inputShape, stats, limit, asRun);
    } catch (e) {
      if (!isDistilleryError(e) || !e.code.startsWith('DATA_')) throw e;
      throw new DistilleryError(e.code, `${run} names the training data, but: ${e.message}`, 'the data has moved or changed since training: pass --data CONFIG (a config whose data: section names it)', e.where ?? run);
    }
  }
  return { source: 'none' };
}

/** The `text:` section that makes a data section read texts with the model's own tokenizer.json, or undefined for a model without one. */
function textSection(section: Record<string, unknown>, modelDir: string): Record<string, unknown> | undefined {
  const tok = join(modelDir, 'tokenizer.json');
  if (!existsSync(tok)) return undefined;
  const text = (section['text'] ?? {}) as Record<string, unknown>;
  return { ...text, tokenizer: { path: resolve(tok) } };
}

/** Test and calibration samples from a `data:` section (`where` names it in errors); `asRun`: keep the section's validation split and the run's seed (a text run's vocabulary depends on them). */
async function fromSection(section: Record<string, unknown>, baseDir: string, where: string, source: 'config' | 'run', inputShape: readonly number[], stats: Normalization, limit: number, asRun: { keepValidation?: boolean; seed?: number } = {}): Promise<ExportData> {
  const cfg = parseDataConfig({ ...section, normalize: 'none', ...(asRun.keepValidation ? {} : { validation: 0 }) });
  const data = await loadData(cfg, { baseDir, seed: asRun.seed ?? 0 });
  checkShape(data.train, inputShape, where);
  const calib = normalize(data.train, stats);
  const d = inputShape.reduce((a, b) => a * b, 1);
  return {
    source,
    calibration: { x: calib.x.subarray(0, Math.min(limit, calib.y.length) * d), shape: inputShape, limit },
    ...(data.test ? { test: labelled(normalize(data.test, stats)) } : {}),
  };
}
