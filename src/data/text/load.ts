import { isAbsolute, resolve } from 'node:path';
import { DistilleryError } from '../../core/errors.ts';
import { Rng } from '../../core/rng.ts';
import { buildTokenizer } from '../../tokenizers/build.ts';
import { loadTokenizer, requirePadZero, TextTokenizer } from '../../tokenizers/load.ts';
import type { DataConfig, DataSource, TextConfig } from '../config.ts';
import { textConfigSchema } from '../config.ts';
import type { Dataset } from '../dataset.ts';
import { textFingerprint } from '../fingerprint.ts';
import { split } from '../ops.ts';
import { cleanText } from './clean.ts';
import type { RawText } from './raw.ts';
import { readTextFolder, readTextTable } from './raw.ts';
import { spamCorpus } from './spam.ts';

/** Whether a `data.source` is text (spam, a text table or a text folder). */
export function isTextSource(source: DataSource): boolean {
  return source === 'spam' || (typeof source === 'object' && (source.type === 'spam' || source.type === 'text' || source.type === 'text-folder'));
}

/** What {@link loadTextData} returns: the parts as token ids with their texts, and notes worth telling the user. */
export interface LoadedText {
  readonly train: Dataset;
  readonly validation?: Dataset;
  readonly test?: Dataset;
  readonly tokenizer: TextTokenizer;
  readonly fingerprint: string;
  /** e.g. "3 files were not UTF-8 and were read as latin-1", "412 texts longer than 128 tokens were truncated". */
  readonly notes: string[];
}

/**
 * Load a text source: read the raw texts and labels (train and test), optionally clean them,
 * hold out `validation` from the training part (stratified, seeded), build the vocabulary on
 * what remains for training (or load `data.text.tokenizer.path`), and encode every part to
 * `[maxLength]` token ids (padding id 0 on the right, truncation on the right). Class names
 * are the sorted distinct labels of train and test together.
 *
 * @example
 * const data = await loadTextData(parseDataConfig({ source: 'spam', text: { maxLength: 128 } }), { baseDir: '.', seed: 1 });
 * data.train.shape; // [128]
 */
export function loadTextData(cfg: DataConfig, opts: { baseDir: string; seed: number }): LoadedText {
  const text: TextConfig = cfg.text ?? textConfigSchema.parse({});
  if (cfg.normalize !== 'none') {
    throw new DistilleryError('CONFIG_INVALID', `data.normalize: ${JSON.stringify(cfg.normalize)} does not apply to texts (token ids)`, 'remove data.normalize for a text source', 'data.normalize');
  }
  if (cfg.augment) throw new DistilleryError('CONFIG_INVALID', 'data.augment: shifting applies to images, not texts', 'remove data.augment for a text source', 'data.augment');
  const at = (p: string) => (isAbsolute(p) ? p : resolve(opts.baseDir, p));
  const parts = readParts(cfg.source, text.encoding, at).map((p, i) => limitPart(p, i === 0 ? cfg.limit : cfg.testLimit));
  const notes: string[] = [];
  const latin1 = parts.reduce((a, p) => a + p.latin1, 0);
  if (latin1 > 0) notes.push(`${latin1} file(s) were not UTF-8 and were read as latin-1 (data.text.encoding: strict stops instead)`);
  const cleaned = text.clean.length > 0 ? parts.map((p) => ({ ...p, texts: p.texts.map((t) => cleanText(t, text.clean)) })) : parts;
  const classNames = [...new Set(cleaned.flatMap((p) => p.labels))].sort();
  const index = new Map(classNames.map((n, i) => [n, i]));
  const labelled = cleaned.map((p) => ({ raw: p, y: Int32Array.from(p.labels, (l) => index.get(l) as number) }));

  // Split on sample indices first (x = index): the vocabulary must come from the training part alone.
  const trainRaw = labelled[0];
  const n = trainRaw.y.length;
  const idx: Dataset = { x: Float32Array.from({ length: n }, (_, i) => i), y: trainRaw.y, shape: [1], numClasses: classNames.length, classNames };
  let trainIdx: Int32Array = Int32Array.from({ length: n }, (_, i) => i);
  let valIdx: Int32Array | undefined;
  if (cfg.validation > 0) {
    const s = split(idx, cfg.validation, new Rng(opts.seed), { stratify: cfg.stratify });
    trainIdx = Int32Array.from(s.train.x);
    valIdx = Int32Array.from(s.validation.x);
  }
  const pick = (r: RawText, ids: Int32Array): RawText => ({ ...r, texts: Array.from(ids, (i) => r.texts[i]), labels: Array.from(ids, (i) => r.labels[i]), keys: Array.from(ids, (i) => r.keys[i]) });
  const trainPart = pick(trainRaw.raw, trainIdx);
  const tokenizer = makeTokenizer(text, trainPart.texts, at);
  let truncated = 0;
  const encode = (r: RawText): Dataset => {
    const b = tokenizer.encodeBatch(r.texts, { maxLength: text.maxLength });
    truncated += b.truncated;
    return {
      x: Float32Array.from(b.ids),
      y: Int32Array.from(r.labels, (l) => index.get(l) as number),
      shape: [text.maxLength],
      numClasses: classNames.length,
      classNames,
      text: { texts: r.texts, keys: r.keys, tokenizer: tokenizer.json, maxLength: text.maxLength },
    };
  };
  const train = encode(trainPart);
  const validation = valIdx ? encode(pick(trainRaw.raw, valIdx)) : undefined;
  const test = labelled[1] ? encode(labelled[1].raw) : undefined;
  const empty = cleaned.reduce((a, p) => a + p.texts.filter((t) => t.trim() === '').length, 0);
  if (empty > 0) notes.push(`${empty} empty text(s): kept, as all-padding inputs`);
  if (truncated > 0) notes.push(`${truncated} text(s) longer than ${text.maxLength} tokens were truncated (data.text.maxLength)`);
  return { train, ...(validation ? { validation } : {}), ...(test ? { test } : {}), tokenizer, fingerprint: textFingerprint(train), notes };
}

function readParts(source: DataSource, mode: TextConfig['encoding'], at: (p: string) => string): RawText[] {
  if (source === 'spam' || (typeof source === 'object' && source.type === 'spam')) {
    const { train, test } = spamCorpus();
    return [train, test];
  }
  if (typeof source === 'object' && source.type === 'text') {
    const cols = { text: source.text, label: source.label, format: source.format };
    const tr = readTextTable(at(source.train), cols, mode);
    return source.test ? [tr, readTextTable(at(source.test), cols, mode)] : [tr];
  }
  if (typeof source === 'object' && source.type === 'text-folder') {
    const tr = readTextFolder(at(source.train), mode);
    return source.test ? [tr, readTextFolder(at(source.test), mode)] : [tr];
  }
  throw new Error(`internal error: not a text source: ${JSON.stringify(source)}`);
}

function limitPart(p: RawText, limit: number | undefined): RawText {
  if (limit === undefined || limit >= p.texts.length) return p;
  return { ...p, texts: p.texts.slice(0, limit), labels: p.labels.slice(0, limit), keys: p.keys.slice(0, limit) };
}

function makeTokenizer(text: TextConfig, trainTexts: readonly string[], at: (p: string) => string): TextTokenizer {
  if ('path' in text.tokenizer) {
    const tok = loadTokenizer(at(text.tokenizer.path));
    requirePadZero(tok, 'data.text.tokenizer.path');
    return tok;
  }
  // Count only the words a model of maxLength tokens sees: the rest is truncated away.
  return new TextTokenizer(buildTokenizer(trainTexts, text.tokenizer, text.maxLength), 'data.text.tokenizer');
}
