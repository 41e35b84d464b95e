import { Tokenizer } from '@huggingface/tokenizers';
import { z } from 'zod';
import type { TokenizerJson } from './load.ts';

/** The special tokens of a built vocabulary, in id order: padding must be id 0 (text models mask `ids != 0`). */
export const SPECIAL_TOKENS = ['[PAD]', '[UNK]'] as const;

/**
 * How to build a student's vocabulary from the training texts (`data.text.tokenizer`).
 * `word`: whole words, anything else [UNK]. `wordpiece`: whole words plus every character as
 * a word start and as a continuation (`##c`), so a rare word is spelled out from its longest
 * known prefix instead of becoming [UNK].
 */
export const buildTokenizerSchema = z
  .object({
    kind: z.enum(['word', 'wordpiece']).default('wordpiece'),
    /** Tokens in all, special tokens included. */
    vocabSize: z.number().int().min(8).max(1_000_000).default(8000),
    /** Words (and characters) seen fewer times than this in the training split stay out. */
    minFrequency: z.number().int().min(1).default(2),
    /** Lower-case and strip accents (BERT's "uncased"). */
    lowercase: z.boolean().default(true),
  })
  .strict();
/** Parsed options of {@link buildTokenizer}. */
export type BuildTokenizerOptions = z.infer<typeof buildTokenizerSchema>;
/** Options of {@link buildTokenizer} as a user writes them. */
export type BuildTokenizerInput = z.input<typeof buildTokenizerSchema>;

/**
 * The normaliser and pre-tokeniser of the tokenizers this project builds: BERT's (clean
 * control characters, split CJK characters, optionally lower-case and strip accents; split on
 * whitespace and punctuation), which Python `tokenizers`, transformers.js and
 * `@huggingface/tokenizers` all implement.
 */
function front(lowercase: boolean): Pick<TokenizerJson, 'normalizer' | 'pre_tokenizer'> {
  return {
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase },
    pre_tokenizer: { type: 'BertPreTokenizer' },
  };
}

/**
 * The words of `text` as the built tokenizer will see them (normalised, pre-tokenised), by
 * the same library code that encodes later, so counts and encoding never disagree.
 */
export function wordSplitter(lowercase: boolean): (text: string) => string[] {
  const shell = new Tokenizer(assemble(front(lowercase), { type: 'WordLevel', vocab: { '[PAD]': 0, '[UNK]': 1 }, unk_token: '[UNK]' }), {});
  const norm = shell.normalizer;
  const pre = shell.pre_tokenizer;
  return (text) => {
    const t = norm ? norm.normalize(text) : text;
    return pre ? pre.pre_tokenize(t) : t.split(/\s+/).filter((w: string) => w.length > 0);
  };
}

/**
 * Build a vocabulary from the training texts and return it as a Hugging Face `tokenizer.json`
 * (word-level or WordPiece, BERT normaliser and pre-tokeniser, [PAD] = 0, [UNK] = 1), which
 * Python `tokenizers`, transformers.js and this project load alike. Ties in frequency are
 * broken by code-unit order, so the same texts always give the same file. With
 * `wordsPerText` only the first that many words of each text are counted: those a model with
 * `maxLength` tokens sees (the rest is truncated away), and a 300 kB e-mail is not read whole.
 *
 * @example
 * const json = buildTokenizer(train.texts, { kind: 'wordpiece', vocabSize: 8000 });
 * writeFileSync('tokenizer.json', JSON.stringify(json));
 */
export function buildTokenizer(texts: Iterable<string>, input: BuildTokenizerInput = {}, wordsPerText?: number): TokenizerJson {
  const opts = buildTokenizerSchema.parse(input);
  const split = wordSplitter(opts.lowercase);
  const words = new Map<string, number>();
  for (const t of texts) for (const w of firstWords(split, t, wordsPerText)) words.set(w, (words.get(w) ?? 0) + 1);
  const vocab: Record<string, number> = {};
  let next = 0;
  const add = (tok: string) => {
    if (next < opts.vocabSize && !(tok in vocab)) vocab[tok] = next++;
  };
  for (const s of SPECIAL_TOKENS) add(s);
  const byCount = (m: Map<string, number>) =>
    [...m].filter(([, c]) => c >= opts.minFrequency).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  if (opts.kind === 'wordpiece') {
    const chars = new Map<string, number>();
    for (const [w, c] of words) for (const ch of w) chars.set(ch, (chars.get(ch) ?? 0) + c);
    // Characters first: with every seen character as a start and a continuation, no word
    // made of known characters is ever [UNK]. Whole words fill the rest by frequency.
    const alphabet = byCount(chars).slice(0, Math.floor((opts.vocabSize - SPECIAL_TOKENS.length) / 2));
    for (const [ch] of alphabet) add(ch);
    for (const [ch] of alphabet) add(`##${ch}`);
  }
  for (const [w] of byCount(words)) {
    if (next >= opts.vocabSize) break;
    add(w);
  }
  const model =
    opts.kind === 'word'
      ? { type: 'WordLevel', vocab, unk_token: '[UNK]' }
      : { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab };
  const json = assemble(front(opts.lowercase), model);
  if (opts.kind === 'wordpiece') json['decoder'] = { type: 'WordPiece', prefix: '##', cleanup: true };
  return json;
}

/** The first `limit` words of `text` (all without a limit), splitting only a long enough prefix at a whitespace. */
function firstWords(split: (t: string) => string[], text: string, limit: number | undefined): string[] {
  if (limit === undefined) return split(text);
  for (let chars = limit * 4; chars < text.length; chars *= 2) {
    let cut = chars;
    while (cut > 0 && !/\s/.test(text[cut])) cut--;
    if (cut === 0) continue;
    const w = split(text.slice(0, cut));
    if (w.length >= limit) return w.slice(0, limit);
  }
  return split(text).slice(0, limit);
}

function assemble(parts: Pick<TokenizerJson, 'normalizer' | 'pre_tokenizer'>, model: Record<string, unknown>): TokenizerJson {
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.map((content, id) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    ...parts,
    post_processor: null,
    decoder: null,
    model,
  };
}

/**
 * The same tokenizer.json with fixed-length padding and truncation written in, so that Python
 * `tokenizers` (`Tokenizer.from_file(...).encode_batch(texts)`) gives exactly the `[n, maxLength]`
 * ids a model saved by distillery was trained on.
 *
 * @example
 * writeFileSync('tokenizer.json', JSON.stringify(withFixedLength(json, 128)));
 */
export function withFixedLength(json: TokenizerJson, maxLength: number, padToken = '[PAD]', padId = 0): TokenizerJson {
  return {
    ...json,
    truncation: { direction: 'Right', max_length: maxLength, strategy: 'LongestFirst', stride: 0 },
    padding: { strategy: { Fixed: maxLength }, direction: 'Right', pad_to_multiple_of: null, pad_id: padId, pad_type_id: 0, pad_token: padToken },
  };
}
