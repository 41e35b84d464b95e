import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initEngine } from '../../engine/index.ts';
import { loadData, saveModelInputs, textWithTokenizer } from '../../data/index.ts';
import { buildModel, saveModel } from '../../models/index.ts';
import { TextTokenizer } from '../../tokenizers/index.ts';
import { evaluate, fit, trainConfigSchema } from '../../train/index.ts';
import { collectReport } from './collect.ts';
import { renderMarkdown } from './markdown.ts';

// The report on a text model, end to end: what it reads (length, tokenizer, vocabulary), its
// accuracy re-evaluated on the raw test texts through its own tokenizer.json, and latency timed
// on token ids on both runtimes.

test('a text model in the report: max length, tokenizer kind and vocabulary, accuracy through its own tokenizer, latency on token ids', async () => {
  await initEngine({ backend: 'wasm', threads: 1 });
  const root = mkdtempSync(join(tmpdir(), 'distillery-report-text-'));
  try {
    const words = ['cheap', 'offer', 'win', 'free', 'cash', 'meeting', 'lunch', 'report', 'notes', 'team', 'rare'];
    const line = (i: number) => `"${Array.from({ length: 2 + (i % 7) }, (_, j) => words[(i % 2 ? 5 : 0) + ((i * 3 + j) % 5)]).join(' ')}${i % 11 === 0 ? ' rare' : ''}",${i % 2 ? 'ham' : 'spam'}`;
    writeFileSync(join(root, 'train.csv'), ['text,label', ...Array.from({ length: 60 }, (_, i) => line(i))].join('\n'));
    writeFileSync(join(root, 'test.csv'), ['text,label', ...Array.from({ length: 30 }, (_, i) => line(i + 100))].join('\n'));
    const data = { source: { type: 'text', train: join(root, 'train.csv'), test: join(root, 'test.csv') }, text: { maxLength: 6, tokenizer: { kind: 'wordpiece', vocabSize: 40, minFrequency: 1 } } };
    const loaded = await loadData(data as never, { baseDir: root, seed: 1 });
    const spec = { input: { kind: 'tokens', length: 6, vocabSize: 40 }, blocks: [{ type: 'embedding', dim: 8 }, { type: 'transformer', heads: 2, ffDim: 16 }, { type: 'seqpool', mode: 'avg' }] };
    const model = buildModel(spec as never, { numClasses: 2, seed: 1 });
    await fit(model, loaded.train, { ...trainConfigSchema.parse({ epochs: 2, batchSize: 10, optimizer: { type: 'adam', lr: 0.01 } }), seed: 1 });
    const run = join(root, 'run');
    mkdirSync(run);
    await saveModel(model, join(run, 'model'), { distillery: { spec } });
    saveModelInputs(join(run, 'model'), loaded.train);
    writeFileSync(join(run, 'config.json'), JSON.stringify({ name: 'text', data }));
    const tok = new TextTokenizer(loaded.train.text!.tokenizer);
    const want = evaluate(model, textWithTokenizer(loaded.test!, tok, 6), { batchSize: 100 });
    model.dispose();

    const r = await collectReport([run], { runtimes: ['onnx', 'tfjs-wasm'], warmup: 1, iterations: 3 });
    const m = r.models[0]!;
    assert.deepEqual(m.text, { maxLength: 6, tokenizer: 'WordPiece', vocabSize: tok.vocabSize });
    assert.ok(tok.vocabSize > 10 && tok.vocabSize <= 40, `vocabulary ${tok.vocabSize}`);
    assert.equal(m.accuracy!.from, 're-evaluated');
    assert.equal(m.accuracy!.errors, want.errors);
    assert.equal(m.accuracy!.samples, 30);
    assert.ok(m.latency.onnx!.p50Ms > 0 && m.latency['tfjs-wasm']!.p50Ms > 0);
    const md = renderMarkdown(r);
    assert.match(md, /\| max length \| tokenizer \| vocabulary \|/);
    assert.match(md, new RegExp(`\\| 6 \\| WordPiece \\| ${tok.vocabSize} \\|`));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
