import { DistilleryError } from '../../core/errors.ts';
import type { TextTokenizer as Tokenizer } from '../../tokenizers/load.ts';
import { TextTokenizer } from '../../tokenizers/load.ts';
import type { Dataset } from '../dataset.ts';

/**
 * A text data set at a shorter `length`: what tokenizing its texts at that `maxLength` gives.
 * Padding and truncation are on the right, so for a tokenizer without a post-processor (the
 * ones distillery builds) that is the first `length` ids of each row, and the rows are cut, in
 * milliseconds. A tokenizer that closes each text with a token (`[SEP]` from a BERT or template
 * post-processor) keeps it when it truncates, so there the raw texts are encoded again. Keys,
 * texts, labels and the tokenizer stay; `text.maxLength` becomes `length`, so the tokenizer.json
 * saved with a model trained on it pads and truncates at `length`.
 *
 * @example
 * const short = textAtLength(data.train, 32); // shape [32]
 */
export function textAtLength(ds: Dataset, length: number, where = 'model.input.length'): Dataset {
  const text = ds.text;
  if (!text) throw new DistilleryError('DATA_TEXT_LENGTH', `${where}: ${length} token ids per text asked of data that is not text`, 'give token-length choices only for text data', where);
  const full = text.maxLength;
  if (length === full) return ds;
  if (!Number.isInteger(length) || length < 1 || length > full) {
    throw new DistilleryError('DATA_TEXT_LENGTH', `${where}: ${length} token ids per text, but the data was tokenized at data.text.maxLength ${full}`,
      `set data.text.maxLength to the largest length the space can pick (${length > full ? length : full}); shorter ones are cut from it`, where);
  }
  const n = ds.y.length;
  let x: Float32Array;
  if (text.tokenizer['post_processor'] === null || text.tokenizer['post_processor'] === undefined) {
    x = new Float32Array(n * length);
    for (let i = 0; i < n; i++) x.set(ds.x.subarray(i * full, i * full + length), i * length);
  } else {
    x = Float32Array.from(new TextTokenizer(text.tokenizer).encodeBatch(text.texts, { maxLength: length }).ids);
  }
  return { ...ds, x, shape: [length], text: { ...text, maxLength: length } };
}

/**
 * A text data set encoded again with a model's own tokenizer at its length: what the model read
 * in training, whichever tokenizer the data was loaded with (a data config rebuilds its
 * vocabulary from its training split, which another seed or limit changes).
 *
 * @example
 * const test = textWithTokenizer(data.test, readModelInputs(dir).tokenizer!, 64);
 */
export function textWithTokenizer(ds: Dataset, tokenizer: Tokenizer, length: number): Dataset {
  const text = ds.text;
  if (!text) throw new DistilleryError('DATA_TEXT_LENGTH', 'a text model asked for data that is not text', 'score a text model on text data');
  const x = Float32Array.from(tokenizer.encodeBatch(text.texts, { maxLength: length }).ids);
  return { ...ds, x, shape: [length], text: { ...text, tokenizer: tokenizer.json, maxLength: length } };
}
