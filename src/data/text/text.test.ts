import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { DistilleryError } from '../../core/errors.ts';
import { tempFiles } from '../fixtures.test-util.ts';
import { loadData } from '../load.ts';
import { subset } from '../ops.ts';
import { cleanText } from './clean.ts';
import { readTextFolder, readTextTable } from './raw.ts';
import { spamCorpus } from './spam.ts';

const t = tempFiles();
after(() => t.done());

const code = (c: string) => (e: unknown) => e instanceof DistilleryError && e.code === c;

describe('text tables', () => {
  test('CSV as RFC 4180 writes it: quoted commas, doubled quotes and line breaks stay in one field', () => {
    const p = t.put('mail.csv', 'label,text\r\nspam,"Win $1,000 now, ""free""\r\nreply today"\r\nham,plain words\r\n');
    const r = readTextTable(p, { text: 'text', label: 'label' }, 'auto');
    assert.deepEqual(r.texts, ['Win $1,000 now, "free"\r\nreply today', 'plain words']);
    assert.deepEqual(r.labels, ['spam', 'ham']);
    assert.deepEqual(r.keys, ['mail.csv:record 1', 'mail.csv:record 2']);
  });

  test('TSV and JSON Lines by extension, columns by name', () => {
    const tsv = readTextTable(t.put('a.tsv', 'body\tclass\nhello there\tgreet\nbye\tpart\n'), { text: 'body', label: 'class' }, 'auto');
    assert.deepEqual([tsv.texts, tsv.labels], [['hello there', 'bye'], ['greet', 'part']]);
    const jl = readTextTable(t.put('a.jsonl', '{"t":"x y","l":1}\n\n{"t":"z","l":0}\n'), { text: 't', label: 'l' }, 'auto');
    assert.deepEqual([jl.texts, jl.labels, jl.keys], [['x y', 'z'], ['1', '0'], ['a.jsonl:line 1', 'a.jsonl:line 3']]);
  });

  test('a text column that does not exist, and one that is empty, are errors naming the file', () => {
    const p = t.put('cols.csv', 'review,label\ngood,pos\n');
    assert.throws(() => readTextTable(p, { text: 'text', label: 'label' }, 'auto'), (e: unknown) => code('DATA_TEXT_COLUMN')(e) && /no column 'text' \(columns: review, label\)/.test((e as Error).message));
    const q = t.put('empty.csv', 'text,label\n,pos\n"",neg\n');
    assert.throws(() => readTextTable(q, { text: 'text', label: 'label' }, 'auto'), code('DATA_TEXT_EMPTY'));
  });

  test('bytes that are not UTF-8: latin-1 in auto mode (counted), DATA_TEXT_ENCODING with the offset in strict mode', () => {
    const bytes = Buffer.concat([Buffer.from('text,label\ncaf'), Buffer.from([0xe9]), Buffer.from(' au lait,ham\n')]);
    const p = t.put('latin.csv', bytes);
    const r = readTextTable(p, { text: 'text', label: 'label' }, 'auto');
    assert.equal(r.texts[0], 'café au lait');
    assert.equal(r.latin1, 1);
    assert.throws(() => readTextTable(p, { text: 'text', label: 'label' }, 'strict'), (e: unknown) => code('DATA_TEXT_ENCODING')(e) && /byte 0xe9 at offset 14/.test((e as Error).message));
  });

  test('a folder per class of .txt files; each file decoded on its own', () => {
    const dir = join(t.dir, 'folder');
    for (const c of ['pos', 'neg']) mkdirSync(join(dir, c), { recursive: true });
    writeFileSync(join(dir, 'pos', 'b.txt'), 'great film');
    writeFileSync(join(dir, 'pos', 'a.txt'), Buffer.from([0x6e, 0x61, 0xef, 0x76, 0x65])); // "naïve" in latin-1
    writeFileSync(join(dir, 'neg', 'c.txt'), 'dull');
    writeFileSync(join(dir, 'neg', 'notes.md'), 'ignored');
    const r = readTextFolder(dir, 'auto');
    assert.deepEqual(r.keys, ['neg/c.txt', 'pos/a.txt', 'pos/b.txt']);
    assert.deepEqual(r.texts, ['dull', 'naïve', 'great film']);
    assert.deepEqual(r.labels, ['neg', 'pos', 'pos']);
    assert.equal(r.latin1, 1);
    assert.throws(() => readTextFolder(dir, 'strict'), code('DATA_TEXT_ENCODING'));
  });
});

describe('cleaning (an option)', () => {
  test('headers go up to the first empty line; HTML tags, scripts and entities go', () => {
    const mail = 'From: a@b.c\nSubject: hi\n  folded\n\n<p>Hello&amp;<b>bye</b></p><script>x()</script>';
    assert.equal(cleanText(mail, []), mail);
    assert.equal(cleanText(mail, ['headers']), '<p>Hello&amp;<b>bye</b></p><script>x()</script>');
    assert.equal(cleanText(mail, ['headers', 'html']).replace(/\s+/g, ' ').trim(), 'Hello& bye');
    assert.equal(cleanText('no header here\n\nbody', ['headers']), 'no header here\n\nbody');
  });
});

describe('loadData with a text source', () => {
  const rows = ['text,label', 'cheap pills buy now,spam', 'meeting at noon,ham', 'buy cheap pills now please,spam', 'lunch at noon today,ham', ',ham', 'unseenword only here,spam'];

  test('token ids [maxLength] padded with 0, vocabulary from the training split only, validation texts aligned', async () => {
    const p = t.put('small.csv', rows.join('\n') + '\n');
    const data = await loadData({ source: { type: 'text', train: p }, validation: 1, text: { maxLength: 4, tokenizer: { kind: 'word', minFrequency: 1 } } }, { baseDir: t.dir, seed: 3 });
    const tr = data.train;
    assert.deepEqual(tr.shape, [4]);
    assert.deepEqual(tr.classNames, ['ham', 'spam']);
    assert.equal(tr.y.length + data.validation!.y.length, 6);
    const tok = tr.text!.tokenizer.model as { vocab: Record<string, number> };
    assert.equal(tok.vocab['[PAD]'], 0);
    assert.equal(tok.vocab['[UNK]'], 1);
    // Each training text's ids are its words' ids; the validation text's words are not in the vocabulary unless seen in training.
    for (let i = 0; i < tr.y.length; i++) {
      const words = tr.text!.texts[i].toLowerCase().split(' ').filter((w) => w);
      const ids = Array.from(tr.x.subarray(i * 4, i * 4 + 4));
      assert.deepEqual(ids, [...words.slice(0, 4).map((w) => tok.vocab[w]), 0, 0, 0, 0].slice(0, 4), tr.text!.texts[i]);
    }
    const val = data.validation!;
    const vwords = val.text!.texts[0].toLowerCase().split(' ').filter((w) => w);
    const trainWords = new Set(tr.text!.texts.flatMap((s) => s.toLowerCase().split(' ')));
    assert.deepEqual(Array.from(val.x.subarray(0, vwords.length)).slice(0, 4), vwords.slice(0, 4).map((w) => (trainWords.has(w) ? tok.vocab[w] : 1)));
    assert.ok(data.notes?.some((n) => /1 empty text/.test(n)), String(data.notes));
    assert.ok(data.notes?.some((n) => /longer than 4 tokens were truncated/.test(n)), String(data.notes));
  });

  test('subsets keep texts and keys aligned with the ids; the fingerprint follows the texts, not the tokenizer', async () => {
    const p = t.put('small2.csv', rows.join('\n') + '\n');
    const a = await loadData({ source: { type: 'text', train: p }, text: { maxLength: 6, tokenizer: { kind: 'word', minFrequency: 1 } } }, { baseDir: t.dir, seed: 1 });
    const b = await loadData({ source: { type: 'text', train: p }, text: { maxLength: 3, tokenizer: { kind: 'wordpiece', minFrequency: 1, vocabSize: 40 } } }, { baseDir: t.dir, seed: 1 });
    assert.equal(a.fingerprint, b.fingerprint);
    const s = subset(a.train, [3, 0]);
    assert.deepEqual(s.text!.texts, [a.train.text!.texts[3], a.train.text!.texts[0]]);
    assert.deepEqual(Array.from(s.x.subarray(0, 6)), Array.from(a.train.x.subarray(18, 24)));
    const c = await loadData({ source: { type: 'text', train: p }, limit: 5, text: { maxLength: 6 } }, { baseDir: t.dir, seed: 1 });
    assert.notEqual(c.fingerprint, a.fingerprint);
  });

  test('text options on a numeric source, and normalize on a text source, are config errors', async () => {
    const p = t.put('small3.csv', rows.join('\n') + '\n');
    await assert.rejects(loadData({ source: { type: 'text', train: p }, normalize: 'scale' }, { baseDir: t.dir, seed: 1 }), code('CONFIG_INVALID'));
    await assert.rejects(loadData({ source: { type: 'csv', train: p }, text: { maxLength: 3 } }, { baseDir: t.dir, seed: 1 }), code('CONFIG_INVALID'));
  });
});

describe('built-in spam', () => {
  test('6,046 e-mails, the fixed stratified split: 4,837 train / 1,209 test (830 ham + 379 spam), the same test e-mails in the same order everywhere', () => {
    const { train, test: te } = spamCorpus();
    assert.equal(train.texts.length, 4837);
    assert.equal(te.texts.length, 1209);
    assert.deepEqual([te.labels.filter((l) => l === 'ham').length, te.labels.filter((l) => l === 'spam').length], [830, 379]);
    assert.equal(new Set([...train.keys, ...te.keys]).size, 6046);
    const hash = createHash('sha256').update(te.keys.join('\n')).digest('hex');
    assert.equal(hash, SPAM_TEST_KEYS_SHA256);
    // Raw: headers kept.
    assert.match(train.texts[0], /^(From |Return-Path|Received|[A-Za-z-]+:)/);
  });
});

/** sha256 of the spam test split's keys joined by newlines, in order (recorded when the split was defined). */
const SPAM_TEST_KEYS_SHA256 = '06dc308fc8fcf794687317cfcb68a683802d2fbcb4b6c35755e20ac992c50c6b';
