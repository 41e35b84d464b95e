import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { DistilleryError } from '../core/errors.ts';
import { buildTokenizer, parseTokenizer, requirePadZero, TextTokenizer, type TokenizerJson } from './index.ts';

const code = (c: string) => (e: unknown) => e instanceof DistilleryError && e.code === c;

interface CrossCheck {
  probes: string[];
  maxLength: number;
  word: TokenizerJson;
  wordpiece: TokenizerJson;
  python: Record<'word' | 'wordpiece', { ids: number[][]; mask: number[][] }>;
}

describe('building a vocabulary', () => {
  const texts = ['the cat sat', 'the cat ran', 'the dog sat', 'a bird'];

  test('word-level: [PAD] 0, [UNK] 1, then words by count (ties in code-unit order), minFrequency drops rare words', () => {
    const j = buildTokenizer(texts, { kind: 'word', minFrequency: 2 });
    assert.deepEqual((j.model as { vocab: Record<string, number> }).vocab, { '[PAD]': 0, '[UNK]': 1, the: 2, cat: 3, sat: 4 });
    const tok = new TextTokenizer(j);
    assert.deepEqual(tok.encode('The dog sat'), [2, 1, 4]);
    assert.equal(tok.vocabSize, 5);
    assert.equal(tok.padId, 0);
  });

  test('WordPiece: a word outside the vocabulary is spelled from known pieces, not [UNK]', () => {
    const tok = new TextTokenizer(buildTokenizer(texts, { kind: 'wordpiece', minFrequency: 1, vocabSize: 60 }));
    assert.deepEqual(tok.tokens('cats'), ['cat', '##s']);
    assert.deepEqual(tok.tokens('tab'), ['t', '##a', '##b']);
    assert.deepEqual(tok.tokens('zebra'), ['[UNK]']); // z was never seen
  });

  test('vocabSize caps the vocabulary, and the same texts always give the same file', () => {
    const a = buildTokenizer(texts, { kind: 'word', minFrequency: 1, vocabSize: 8 });
    assert.equal(Object.keys((a.model as { vocab: object }).vocab).length, 8);
    assert.deepEqual(buildTokenizer([...texts], { kind: 'word', minFrequency: 1, vocabSize: 8 }), a);
  });
});

describe('encoding', () => {
  const tok = new TextTokenizer(buildTokenizer(['one two three four five six'], { kind: 'word', minFrequency: 1 }));

  test('right padding with id 0, right truncation, attention mask, truncation count', () => {
    const b = tok.encodeBatch(['one two', 'one two three four five six', ''], { maxLength: 4 });
    // Equal counts: code-unit order, five 2, four 3, one 4, six 5, three 6, two 7.
    assert.deepEqual(Array.from(b.ids), [4, 7, 0, 0, 4, 7, 6, 3, 0, 0, 0, 0]);
    assert.deepEqual(Array.from(b.attentionMask), [1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0]);
    assert.equal(b.truncated, 1);
  });

  test('a long text is encoded from a prefix, giving the same first ids as encoding it whole', () => {
    const words = ['one', 'two', 'three', 'four', 'five', 'six', 'x.y', 'naïve', '\n\n'];
    let s = 0;
    const text = Array.from({ length: 3000 }, (_, i) => words[(s = (s * 31 + i) % 9)]).join(i3(s));
    for (const L of [3, 50, 400]) assert.deepEqual(tok.encodePrefix(text, L).slice(0, L), tok.encode(text).slice(0, L), `maxLength ${L}`);
  });

  test('ids equal those of Python tokenizers on the same tokenizer.json (word-level and WordPiece, fixed length)', () => {
    const fx = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'cross-check.json'), 'utf8')) as CrossCheck;
    for (const kind of ['word', 'wordpiece'] as const) {
      const t = new TextTokenizer(fx[kind]);
      const b = t.encodeBatch(fx.probes, { maxLength: fx.maxLength });
      fx.probes.forEach((p, i) => {
        const L = fx.maxLength;
        assert.deepEqual(Array.from(b.ids.subarray(i * L, (i + 1) * L)), fx.python[kind].ids[i], `${kind}: ${JSON.stringify(p)}`);
        assert.deepEqual(Array.from(b.attentionMask.subarray(i * L, (i + 1) * L)), fx.python[kind].mask[i], `${kind} mask: ${JSON.stringify(p)}`);
      });
    }
  });
});

describe('loading', () => {
  test('a broken tokenizer.json is TOKENIZER_FORMAT naming the file', () => {
    assert.throws(() => parseTokenizer('{"model": {', 'tok.json'), (e: unknown) => code('TOKENIZER_FORMAT')(e) && /tok\.json: broken tokenizer\.json: not JSON/.test((e as Error).message));
    assert.throws(() => parseTokenizer('{"version": "1.0"}', 'tok.json'), code('TOKENIZER_FORMAT'));
    assert.throws(() => parseTokenizer('{"model": {"type": "Nope"}}', 'tok.json'), code('TOKENIZER_FORMAT'));
  });

  test('a student tokenizer must pad with id 0', () => {
    const j = buildTokenizer(['a b'], { kind: 'word', minFrequency: 1 });
    const vocab = (j.model as { vocab: Record<string, number> }).vocab;
    const swapped = { ...j, model: { ...j.model, vocab: { ...vocab, '[PAD]': 2, a: 0 } } };
    assert.throws(() => requirePadZero(new TextTokenizer(swapped), 'data.text.tokenizer.path'), code('TOKENIZER_PAD'));
    requirePadZero(new TextTokenizer(j), 'x');
  });
});

function i3(s: number): string {
  return s % 2 === 0 ? ' ' : '  ';
}
