import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initEngine } from '../engine/index.ts';
import { loadData, textAtLength } from '../data/index.ts';
import type { DataConfig } from '../data/index.ts';
import { modelCost } from '../models/index.ts';
import { parseLimits, SearchSpace } from '../search/index.ts';
import { TextTokenizer } from '../tokenizers/index.ts';
import { trainConfigSchema } from '../train/index.ts';
import { createModelEvaluator } from './model.ts';

// Text candidates: the token length is a searched choice; the data, tokenized once at
// data.text.maxLength, is cut to each candidate's length, and the limits are checked on the
// spec at that length before training.

const dir = mkdtempSync(join(tmpdir(), 'distillery-evaltext-'));
const words = ['cheap', 'offer', 'win', 'free', 'cash', 'meeting', 'lunch', 'report', 'notes', 'team'];
const rows = Array.from({ length: 60 }, (_, i) => {
  const spam = i % 2 === 0;
  const n = 3 + (i % 9); // 3..11 words: some texts are cut at every length
  const text = Array.from({ length: n }, (_, j) => words[(spam ? 0 : 5) + ((i + j) % 5)]).join(' ');
  return `"${text}",${spam ? 'spam' : 'ham'}`;
});
writeFileSync(join(dir, 'train.csv'), ['text,label', ...rows].join('\n'));
const data = { source: { type: 'text', train: join(dir, 'train.csv') }, validation: 0.25, text: { maxLength: 8, tokenizer: { kind: 'word', vocabSize: 30, minFrequency: 1 } } } as unknown as DataConfig;

test('textAtLength: the ids the tokenizer gives at the shorter length, cut or (with a closing [SEP]) encoded again', async () => {
  const loaded = await loadData(data, { baseDir: dir, seed: 1 });
  const ds = loaded.train;
  const short = textAtLength(ds, 4);
  const tok = new TextTokenizer(ds.text!.tokenizer);
  assert.deepEqual(Array.from(short.x), Array.from(tok.encodeBatch(ds.text!.texts, { maxLength: 4 }).ids));
  assert.deepEqual(short.shape, [4]);
  assert.equal(short.text!.maxLength, 4);
  assert.equal(textAtLength(ds, 8), ds);
  assert.throws(() => textAtLength(ds, 9), (e: Error & { code?: string }) => e.code === 'DATA_TEXT_LENGTH' && /maxLength 8/.test(e.message));
  // a BERT tokenizer keeps [SEP] last when it truncates: cutting the rows would drop it
  const vocabOf = JSON.parse(readFileSync(new URL('../../examples/teachers/spam-tiny/tokenizer.json', import.meta.url), 'utf8'));
  const v = vocabOf.model.vocab as Record<string, number>;
  const bert = { ...vocabOf, post_processor: { type: 'BertProcessing', sep: ['[SEP]', v['[SEP]']], cls: ['[CLS]', v['[CLS]']] } };
  const bt = new TextTokenizer(bert);
  const texts = ['win free cash now, reply to claim your prize today', 'lunch at noon'];
  const full = { ...ds, x: Float32Array.from(bt.encodeBatch(texts, { maxLength: 12 }).ids), y: Int32Array.from([0, 1]), shape: [12], text: { texts, keys: ['a', 'b'], tokenizer: bert, maxLength: 12 } };
  const cut = textAtLength(full, 6);
  assert.deepEqual(Array.from(cut.x), Array.from(bt.encodeBatch(texts, { maxLength: 6 }).ids));
  assert.equal(cut.x[5], v['[SEP]'], 'the first text ends in [SEP] at length 6');
  assert.notEqual(full.x[5], v['[SEP]']);
});

test('a text space: length is searched, limits are checked at the candidate\'s length, training reads the cut data, the saved tokenizer pads to it', async () => {
  await initEngine({ backend: 'wasm', threads: 1 });
  const space = new SearchSpace({
    template: {
      model: {
        input: { kind: 'tokens', length: { choice: [4, 8, 16] } }, // vocabSize: the data's tokenizer's
        blocks: [{ type: 'embedding', dim: 8 }, { type: 'conv1d', filters: 8, kernel: 3 }, { type: 'seqpool', mode: 'max' }],
      },
    },
  });
  const ev = await createModelEvaluator({
    space, data, seed: 1, train: trainConfigSchema.parse({ epochs: 1, batchSize: 15, optimizer: { type: 'adam', lr: 0.01 } }),
    objectives: [{ metric: 'accuracy', direction: 'max' }, { metric: 'macs', direction: 'min' }],
    limits: parseLimits(['macs<=1000']),
  });
  const vocab = new TextTokenizer(ev.data.train.text!.tokenizer).vocabSize;
  assert.ok(vocab > 10 && vocab < 30, `vocabulary ${vocab}`);
  const spec = (length: number) => ({ input: { kind: 'tokens' as const, length, vocabSize: vocab }, blocks: [{ type: 'embedding' as const, dim: 8 }, { type: 'conv1d' as const, filters: 8, kernel: 3 }, { type: 'seqpool' as const, mode: 'max' as const }] });
  const macsAt = (length: number) => modelCost(spec(length), undefined, 2).macs;
  assert.equal(macsAt(4), 4 * 3 * 8 * 8 + 8 * 2); // conv L·k·C·F + head

  const long = ev.check({ 'model.input.length': 16 });
  assert.equal(long.violation, Infinity);
  assert.match(long.reason!, /length 16 is above data\.text\.maxLength 8/);
  const mid = ev.check({ 'model.input.length': 8 });
  assert.equal(mid.metrics['macs'], macsAt(8));
  assert.ok(mid.violation > 0 && /breaks macs<=1000/.test(mid.reason!), mid.reason);

  const ok = await ev.evaluate({ trialId: 1, candidate: { 'model.input.length': 4 }, epochs: 1, artifactDir: join(dir, 't1') });
  assert.equal(ok.state, 'complete', ok.reason);
  assert.equal(ok.values['macs'], macsAt(4));
  assert.equal(ok.values['params'], modelCost(spec(4), undefined, 2).params, 'the embedding has the tokenizer\'s vocabulary');
  assert.equal((ok.spec as { model: { input: { vocabSize: number } } }).model.input.vocabSize, vocab);
  const model = JSON.parse(readFileSync(join(ok.artifacts['model']!, 'model.json'), 'utf8'));
  assert.deepEqual(model.modelTopology.config.layers[0].config.batch_input_shape, [null, 4]);
  const tok = JSON.parse(readFileSync(join(ok.artifacts['model']!, 'tokenizer.json'), 'utf8'));
  assert.equal(tok.truncation.max_length, 4);
  assert.deepEqual(tok.padding.strategy, { Fixed: 4 });
  rmSync(dir, { recursive: true, force: true });
});
