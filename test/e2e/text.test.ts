import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { spamCorpus } from '../../src/data/text/spam.ts';
import { initEngine } from '../../src/engine/index.ts';
import { predict } from '../../src/jobs/predict.ts';
import { loadModel } from '../../src/models/index.ts';
import { exportOnnx } from '../../src/onnx/index.ts';
import { onnxChecker } from '../../src/onnx/testing.ts';
import { BIN, parseEvents, ROOT, runCli, tempDir, writeConfig, type CliRun } from '../helpers/cli.ts';

// Text end to end through the real CLI: the PyTorch teacher of examples/teachers/spam-tiny (its own
// cased BERT WordPiece tokenizer, [CLS] … [SEP], length 96) distilled into a bag-of-embeddings
// student that reads its own lower-cased vocabulary at length 64, on a slice of the built-in spam
// split; then exported (int8 ONNX with the raw-text parity check, and TF.js), and the TF.js export
// loaded in a fresh process by stock TF.js and stock @huggingface/tokenizers.

const TEACHER = join(ROOT, 'examples/teachers/spam-tiny');
const L = 64;

/** The CLI in a child process, asynchronously (so that independent exports overlap). */
function cli(args: string[]): Promise<CliRun> {
  return new Promise((done) => {
    const p = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, FORCE_COLOR: '0' } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (code) => done({ code, stdout, stderr, events: args.includes('--json') ? parseEvents(stdout) : [] }));
  });
}

const dir = tempDir('distillery-text-');
const run = join(dir, 'run');
let done: Record<string, Record<string, unknown>>;

before(async () => {
  await initEngine({ backend: 'cpu' });
  const cfg = writeConfig(dir, 'distill.json', {
    name: 'spam-tiny-student',
    seed: 1,
    data: { source: 'spam', limit: 600, testLimit: 200, validation: 0.1, text: { maxLength: L, tokenizer: { kind: 'wordpiece', vocabSize: 1000, minFrequency: 2 } } },
    teacher: { type: 'onnx', path: join(TEACHER, 'teacher.onnx') },
    loss: [{ term: 'kd', weight: 0.7, T: 2 }, { term: 'ce', weight: 0.3 }],
    cache: { enabled: false },
    // the vocabulary's size comes from the data: the spec leaves it out
    model: { input: { kind: 'tokens', length: L }, blocks: [{ type: 'embedding', dim: 16, positions: 'none' }, { type: 'seqpool', mode: 'max' }] },
    train: { epochs: 4, batchSize: 32, optimizer: { type: 'adam', lr: 0.01 } },
  });
  const r = runCli(['distill', '--config', cfg, '--out', run, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const last = r.events.at(-1)!;
  assert.equal(last['event'], 'done');
  done = last as Record<string, Record<string, unknown>>;
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('distill --json: an ONNX teacher with its own tokenizer.json teaches a student with another vocabulary; the usual done event', () => {
  const { student, teacher } = done;
  assert.equal(done['command'] as unknown, 'distill');
  assert.equal(done['teacherLogits'] as unknown, 'computed');
  assert.equal(teacher!['kind'], 'onnx');
  assert.equal(teacher!['params'], 119_762);
  assert.equal(teacher!['testSamples'], 200);
  // 89.5% measured: the teacher reads the raw texts with its own tokenizer (on the student's ids it would be near the 69% of "always ham")
  assert.ok((teacher!['testAccuracy'] as number) >= 0.85, `teacher ${teacher!['testAccuracy']}`);
  // 751 × 16 embedding + 16 × 2 + 2 head: vocabSize filled from the data's tokenizer (751 tokens
  // seen twice in the first 64 words of 540 e-mails, under the cap of 1000)
  assert.equal(student!['params'], 12_050);
  assert.equal(student!['testSamples'], 200);
  assert.ok((student!['testAccuracy'] as number) >= 0.78, `student ${student!['testAccuracy']}`); // 84.5% measured
  // two different tokenizers: the student's is lower-cased WordPiece without [CLS]/[SEP]
  const own = JSON.parse(readFileSync(join(run, 'model', 'tokenizer.json'), 'utf8')) as { model: { vocab: Record<string, number> }; truncation: { max_length: number } };
  const theirs = JSON.parse(readFileSync(join(TEACHER, 'tokenizer.json'), 'utf8')) as { model: { vocab: Record<string, number> } };
  assert.equal(Object.keys(own.model.vocab).length, 751);
  assert.equal(own.truncation.max_length, L);
  assert.equal(own.model.vocab['[CLS]'], undefined);
  assert.notEqual(theirs.model.vocab['[CLS]'], undefined);
});

test('export: int8 ONNX with tokenizer.json beside it, raw-text parity on every test text, checker; TF.js in stock TF.js; a tokenizer.json that is not training\'s is refused', async (t) => {
  const modelDir = join(run, 'model');
  // a copy whose tokenizer.json maps every word to another id, and one whose tokenizer.json is broken
  const tampered = join(dir, 'tampered');
  const broken = join(dir, 'broken');
  for (const d of [tampered, broken]) {
    cpSync(modelDir, join(d, 'model'), { recursive: true });
    cpSync(join(run, 'config.json'), join(d, 'config.json'));
  }
  const tok = JSON.parse(readFileSync(join(modelDir, 'tokenizer.json'), 'utf8')) as { model: { vocab: Record<string, number> } };
  const n = Object.keys(tok.model.vocab).length;
  for (const [w, id] of Object.entries(tok.model.vocab)) if (id > 1) tok.model.vocab[w] = 2 + ((id - 2 + 500) % (n - 2));
  writeFileSync(join(tampered, 'model', 'tokenizer.json'), JSON.stringify(tok));
  writeFileSync(join(broken, 'model', 'tokenizer.json'), '{"model": {"type": "WordPiece", "vocab": ');
  const out = join(dir, 'int8');
  const web = join(dir, 'web');
  const [q, w, bad, worse] = await Promise.all([
    cli(['export', modelDir, '--format', 'onnx', '--quantize', 'int8', '--out', out, '--json', '--batch', '1']),
    cli(['export', modelDir, '--format', 'tfjs', '--out', web, '--json']),
    cli(['export', join(tampered, 'model'), '--out', join(tampered, 'export'), '--no-compare']),
    cli(['export', join(broken, 'model'), '--out', join(broken, 'export')]),
  ]);

  assert.equal(q.code, 0, q.stderr);
  const r = q.events.at(-1)!;
  const parity = r['parity'] as Record<string, number | boolean>;
  assert.equal(parity['samples'], 200);
  assert.ok((parity['maxAbsDiff'] as number) <= 1e-4, `max |onnx - tfjs| ${parity['maxAbsDiff']}`);
  assert.deepEqual(r['textParity'], { samples: 200, classDiffers: 0, idsDiffer: 0, ok: true });
  for (const f of ['tokenizer.json', 'labels.json']) assert.deepEqual(readFileSync(join(out, f)), readFileSync(join(modelDir, f)), f);
  const [fp32, int8] = r['variants'] as Record<string, number>[];
  assert.equal(int8!['samples'], 200);
  // 12,016 of the 12,050 weights are the table: int8 rows with a float scale each, 2.85x measured
  assert.ok(int8!['sizeRatio']! > 2.5, `int8 ${int8!['sizeRatio']}x smaller`);
  assert.ok(int8!['accuracyDropPoints']! <= 1, `int8 lost ${int8!['accuracyDropPoints']} points`);
  assert.equal(fp32!['accuracy'], (done['student']!['testAccuracy'] as number));
  const model = await loadModel(modelDir);
  for (const [name, bytes] of [['model.int8.onnx', readFileSync(join(out, 'model.int8.onnx'))], ['model.onnx', await exportOnnx(model)]] as const) {
    const check = onnxChecker(bytes, name);
    if ('skip' in check) t.diagnostic(check.skip);
    else assert.ok(check.ok, `${name}: ${'error' in check ? check.error : ''}`);
  }
  model.dispose();

  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /^error EXPORT_TEXT_PARITY: .*tokenizer\.json \+ ONNX on 200 raw test texts: [1-9]\d* classes differ.*nothing written/);
  assert.equal(existsSync(join(tampered, 'export')), false);
  assert.equal(worse.code, 2, worse.stderr);
  assert.match(worse.stderr, /^error TOKENIZER_FORMAT: .*tokenizer\.json: broken tokenizer\.json/);
  assert.equal(existsSync(join(broken, 'export')), false);

  // The TF.js export in a fresh process with nothing of distillery but its layer module: stock
  // tfjs-core, the cpu backend, tfjs-layers and @huggingface/tokenizers on the shipped tokenizer.json.
  assert.equal(w.code, 0, w.stderr);
  for (const f of ['model.json', 'group1-shard1of1.bin', 'tokenizer.json', 'labels.json']) assert.ok(existsSync(join(web, f)), f);
  const texts = spamCorpus().test.texts.slice(0, 6);
  texts.push('Win a FREE cruise, reply now', '');
  const script = [
    "import * as tf from '@tensorflow/tfjs-core';",
    "import '@tensorflow/tfjs-backend-cpu';",
    "import * as tfl from '@tensorflow/tfjs-layers';",
    "import { Tokenizer } from '@huggingface/tokenizers';",
    `import '${join(ROOT, 'src/models/text-layers.ts')}';`,
    "import { readFileSync } from 'node:fs';",
    `const dir = ${JSON.stringify(web)};`,
    `const texts = JSON.parse(readFileSync(${JSON.stringify(join(dir, 'texts.json'))}, 'utf8'));`,
    "const tok = new Tokenizer(JSON.parse(readFileSync(dir + '/tokenizer.json', 'utf8')), {});",
    `const ids = texts.flatMap((t) => { const e = tok.encode(t).ids.slice(0, ${L}); return [...e, ...Array(${L} - e.length).fill(0)]; });`,
    "const json = JSON.parse(readFileSync(dir + '/model.json', 'utf8'));",
    "const bin = readFileSync(dir + '/' + json.weightsManifest[0].paths[0]);",
    'const m = await tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) }));',
    `console.log(JSON.stringify(Array.from(tf.softmax(m.predict(tf.tensor2d(ids, [texts.length, ${L}], 'int32'))).dataSync())));`,
  ].join('\n');
  writeFileSync(join(dir, 'texts.json'), JSON.stringify(texts));
  const fresh = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', cwd: ROOT });
  assert.equal(fresh.status, 0, fresh.stderr);
  const probs = JSON.parse(fresh.stdout.trim().split('\n').pop()!) as number[];
  const want = await predict(modelDir, texts, { backend: 'cpu' });
  assert.equal(probs.length, 2 * texts.length);
  want.forEach((p, i) => {
    assert.ok(Math.abs(probs[2 * i]! - p.probabilities['ham']!) < 1e-5, `text ${i}: ${probs[2 * i]} vs ${p.probabilities['ham']}`);
  });
  assert.ok(want.some((p) => p.label === 'spam') && want.some((p) => p.label === 'ham'), want.map((p) => p.label).join());
});
