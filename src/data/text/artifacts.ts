import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DistilleryError } from '../../core/errors.ts';
import { writeJsonAtomic } from '../../core/fs.ts';
import { withFixedLength } from '../../tokenizers/build.ts';
import { parseTokenizer, type TextTokenizer } from '../../tokenizers/load.ts';
import type { Dataset } from '../dataset.ts';

/**
 * Write what a model needs beside `model.json` to take raw inputs: `labels.json` (the class
 * names in output order) always, and for text `tokenizer.json` (the Hugging Face file that made
 * the training ids, with fixed-length padding and truncation written in, so Python `tokenizers`
 * and transformers.js give the very same `[maxLength]` ids).
 *
 * @example
 * saveModelInputs('runs/spam/model', data.train);
 */
export function saveModelInputs(dir: string, train: Dataset): void {
  writeJsonAtomic(join(dir, 'labels.json'), train.classNames);
  if (train.text) writeJsonAtomic(join(dir, 'tokenizer.json'), withFixedLength(train.text.tokenizer, train.text.maxLength));
}

/** What a saved model folder says about its inputs: class names, and the tokenizer for a text model. */
export interface ModelInputs {
  readonly classNames?: readonly string[];
  readonly tokenizer?: TextTokenizer;
}

/**
 * Read `labels.json` and `tokenizer.json` from a model folder, where present.
 *
 * @example
 * const { tokenizer, classNames } = readModelInputs('runs/spam/model');
 */
export function readModelInputs(dir: string): ModelInputs {
  const labels = join(dir, 'labels.json');
  const tok = join(dir, 'tokenizer.json');
  let classNames: string[] | undefined;
  if (existsSync(labels)) {
    const v = JSON.parse(readFileSync(labels, 'utf8')) as unknown;
    if (!Array.isArray(v)) throw new DistilleryError('MODEL_LABELS', `${labels}: not a JSON list of class names`, 'labels.json holds the class names in output order, e.g. ["ham", "spam"]', labels);
    classNames = v.map(String);
  }
  return { ...(classNames ? { classNames } : {}), ...(existsSync(tok) ? { tokenizer: parseTokenizer(readFileSync(tok, 'utf8'), tok) } : {}) };
}
