/**
 * Tokenizers (a floor beside `data/`): read Hugging Face `tokenizer.json` files with
 * `@huggingface/tokenizers`, build a student's vocabulary from training texts, and encode texts
 * to fixed-length token ids with padding (id 0), truncation and attention masks.
 *
 * @example
 * import { buildTokenizer, TextTokenizer } from './tokenizers/index.ts';
 * const tok = new TextTokenizer(buildTokenizer(texts, { kind: 'wordpiece', vocabSize: 8000 }));
 * const { ids } = tok.encodeBatch(texts, { maxLength: 128 });
 */
export type { EncodedBatch, EncodeOptions, TokenizerJson } from './load.ts';
export { loadTokenizer, parseTokenizer, requirePadZero, TextTokenizer } from './load.ts';
export type { BuildTokenizerInput, BuildTokenizerOptions } from './build.ts';
export { buildTokenizer, buildTokenizerSchema, SPECIAL_TOKENS, withFixedLength, wordSplitter } from './build.ts';
