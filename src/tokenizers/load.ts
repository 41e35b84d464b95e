import { readFileSync } from 'node:fs';
import { Tokenizer } from '@huggingface/tokenizers';
import { DistilleryError } from '../core/errors.ts';

/** A Hugging Face `tokenizer.json` as parsed JSON (the format is the library's; only `model` is required). */
export type TokenizerJson = Record<string, unknown> & { model: Record<string, unknown> };

/** Token ids of a batch of texts: `[n, maxLength]` sample-major, padded on the right with the pad id. */
export interface EncodedBatch {
  readonly ids: Int32Array;
  /** 1 where `ids` holds a token, 0 on padding. */
  readonly attentionMask: Uint8Array;
  readonly n: number;
  readonly maxLength: number;
  /** Texts whose token count exceeded `maxLength` (cut on the right). */
  readonly truncated: number;
}

/** Options of {@link TextTokenizer.encodeBatch}. */
export interface EncodeOptions {
  /** Ids per text: shorter texts are padded, longer ones truncated (right side). */
  readonly maxLength: number;
  /** Add the post-processor's special tokens ([CLS] … [SEP] for BERT). Default true. */
  readonly specialTokens?: boolean;
}

/**
 * A tokenizer read from Hugging Face's `tokenizer.json` format, run by the pure-JS
 * `@huggingface/tokenizers`: the very file a PyTorch/transformers model ships with.
 *
 * @example
 * const tok = loadTokenizer('teacher/tokenizer.json');
 * const { ids } = tok.encodeBatch(['Win a FREE cruise'], { maxLength: 64 });
 */
export class TextTokenizer {
  /** The tokenizer.json this tokenizer was made from (saved beside a model as is). */
  readonly json: TokenizerJson;
  /** Ids the vocabulary spans: largest id + 1 (the embedding table's rows). */
  readonly vocabSize: number;
  /** The padding token's id (0 for tokenizers this project builds), or undefined when the file names none. */
  readonly padId: number | undefined;
  private readonly tok: Tokenizer;

  constructor(json: TokenizerJson, where = 'tokenizer.json') {
    this.json = json;
    try {
      // The library has no WordLevel model of its own: its fallback (a plain vocabulary) takes
      // the unknown token from the second (tokenizer_config.json) argument.
      const unk = json.model['type'] === 'WordLevel' && typeof json.model['unk_token'] === 'string' ? { unk_token: json.model['unk_token'] } : {};
      this.tok = new Tokenizer(json, unk);
    } catch (e) {
      throw broken(where, (e as Error).message);
    }
    const vocab = this.tok.get_vocab(true);
    if (vocab.size === 0) throw broken(where, 'the vocabulary is empty');
    let max = -1;
    for (const id of vocab.values()) if (id > max) max = id;
    this.vocabSize = max + 1;
    this.padId = padIdOf(json, vocab);
  }

  /**
   * Token ids of one text, special tokens included (no padding, no truncation).
   *
   * @example
   * tok.encode('hello world'); // [2, 7]
   */
  encode(text: string, specialTokens = true): number[] {
    return this.tok.encode(text, { add_special_tokens: specialTokens }).ids;
  }

  /** The tokens of one text, as strings (for reports and debugging). */
  tokens(text: string): string[] {
    return this.tok.encode(text).tokens;
  }

  /** A token's id, or undefined when the vocabulary lacks it. */
  tokenToId(token: string): number | undefined {
    return this.tok.token_to_id(token);
  }

  /**
   * Encode texts to a fixed `[n, maxLength]` block: right truncation keeps the first
   * `maxLength` ids (the last one stays the post-processor's closing token, e.g. [SEP], when
   * there is one), right padding with the pad id, and the attention mask (1 = token).
   *
   * @example
   * const b = tok.encodeBatch(texts, { maxLength: 128 });
   * b.ids.subarray(0, 128); // text 0
   */
  encodeBatch(texts: readonly string[], opts: EncodeOptions): EncodedBatch {
    const L = opts.maxLength;
    const n = texts.length;
    const pad = this.padId ?? 0;
    const ids = new Int32Array(n * L).fill(pad);
    const attentionMask = new Uint8Array(n * L);
    const closing = this.closingId();
    let truncated = 0;
    for (let i = 0; i < n; i++) {
      const e = this.encodePrefix(texts[i], L, opts.specialTokens ?? true);
      let row = e;
      if (e.length > L) {
        truncated++;
        row = e.slice(0, L);
        if (closing !== undefined && e[e.length - 1] === closing) row[L - 1] = closing;
      }
      ids.set(row, i * L);
      attentionMask.fill(1, i * L, i * L + row.length);
    }
    return { ids, attentionMask, n, maxLength: L, truncated };
  }

  /**
   * The ids of `text`, or of a prefix of it long enough to give more than `maxLength` ids:
   * right truncation keeps only the first `maxLength`, and encoding a 300 kB e-mail whole
   * would take most of a second. The prefix ends at a whitespace, so every word in it is
   * whole and its tokens are those the full text starts with (normalisers and pre-tokenisers
   * act within words).
   */
  encodePrefix(text: string, maxLength: number, specialTokens = true): number[] {
    for (let chars = maxLength * 4; chars < text.length; chars *= 2) {
      let cut = chars;
      while (cut > 0 && !/\s/.test(text[cut])) cut--;
      if (cut === 0) continue;
      const e = this.encode(text.slice(0, cut), specialTokens);
      if (e.length > maxLength) return e;
    }
    return this.encode(text, specialTokens);
  }

  /** The id the post-processor appends at the end ([SEP] for BERT), kept by truncation. */
  private closingId(): number | undefined {
    const pp = this.json['post_processor'] as { type?: string; sep?: [string, number] } | null | undefined;
    return pp?.type === 'BertProcessing' && Array.isArray(pp.sep) ? pp.sep[1] : pp?.type === 'TemplateProcessing' ? this.tok.token_to_id('[SEP]') : undefined;
  }
}

/**
 * Parse a tokenizer.json's text; TOKENIZER_FORMAT when it is not JSON or not a tokenizer the
 * library can run.
 *
 * @example
 * const tok = parseTokenizer(readFileSync('tokenizer.json', 'utf8'), 'tokenizer.json');
 */
export function parseTokenizer(text: string, where = 'tokenizer.json'): TextTokenizer {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw broken(where, `not JSON (${(e as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json) || typeof (json as { model?: unknown }).model !== 'object' || (json as { model?: unknown }).model === null) {
    throw broken(where, 'no "model" object: not a Hugging Face tokenizer.json');
  }
  return new TextTokenizer(json as TokenizerJson, where);
}

/**
 * Read a `tokenizer.json` file (Hugging Face format).
 *
 * @example
 * const tok = loadTokenizer('runs/spam-student/model/tokenizer.json');
 */
export function loadTokenizer(path: string): TextTokenizer {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DistilleryError('TOKENIZER_NOT_FOUND', `${path}: ${code === 'ENOENT' ? 'no such file' : `cannot read (${code ?? String(e)})`}`, 'pass the tokenizer.json that came with the model', path);
  }
  return parseTokenizer(text, path);
}

/**
 * TOKENIZER_PAD unless the tokenizer pads with id 0, as distillery's text models require
 * (they derive their mask as `ids != 0`).
 *
 * @example
 * requirePadZero(tok, 'data.text.tokenizer');
 */
export function requirePadZero(tok: TextTokenizer, where: string): void {
  if (tok.padId !== 0) {
    throw new DistilleryError(
      'TOKENIZER_PAD',
      `${where}: the tokenizer's padding token has id ${tok.padId ?? '(none)'}, a student's must have id 0`,
      'let distillery build the student\'s vocabulary (data.text.tokenizer: { kind: wordpiece }) or use a tokenizer whose [PAD] is id 0',
      where,
    );
  }
}

function padIdOf(json: TokenizerJson, vocab: Map<string, number>): number | undefined {
  const padding = json['padding'] as { pad_id?: unknown } | null | undefined;
  if (padding && typeof padding.pad_id === 'number') return padding.pad_id;
  for (const name of ['[PAD]', '<pad>', '<PAD>']) {
    const id = vocab.get(name);
    if (id !== undefined) return id;
  }
  return undefined;
}

function broken(where: string, why: string): DistilleryError {
  return new DistilleryError('TOKENIZER_FORMAT', `${where}: broken tokenizer.json: ${why}`, 'use the tokenizer.json saved by Hugging Face tokenizers/transformers (tokenizer.save) or by distillery', where);
}
