import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { DistilleryError } from '../../core/errors.ts';
import { loadData, noNormalization } from '../../data/index.ts';
import { disposeEngine, initEngine } from '../../engine/index.ts';
import { loadTokenizer } from '../../tokenizers/index.ts';
import { cachedTeacherLogits } from '../cache.ts';
import { loadTeacher } from './index.ts';
import type { TeacherLoadContext } from './common.ts';
import { ROOT } from './testing.ts';

before(async () => { await initEngine({ backend: 'wasm', threads: 1 }); });
after(async () => { await disposeEngine(); });

const DIR = join(ROOT, 'examples/teachers/spam-tiny');
const TEACHER = join(DIR, 'teacher.onnx');
interface Golden {
  maxLength: number;
  probes: { key: string; label: string; text: string; teacherIds: number[]; logits: number[]; studentIds: number[] }[];
}
const golden = JSON.parse(readFileSync(join(DIR, 'golden.json'), 'utf8')) as Golden;
const texts = golden.probes.map((p) => p.text);
const ctx: TeacherLoadContext = { baseDir: ROOT, dataShape: [64], numClasses: 2, classNames: ['ham', 'spam'], normalization: noNormalization, text: { maxLength: 64 } };
const tmp = mkdtempSync(join(tmpdir(), 'distillery-text-teacher-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

async function rejects(p: Promise<unknown>, code: string, ...parts: string[]): Promise<void> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  assert.ok(e instanceof DistilleryError, `expected DistilleryError ${code}, got ${String(e)}`);
  assert.equal(e.code, code, e.message);
  for (const s of parts) assert.ok(e.message.includes(s), `'${e.message}' should mention '${s}'`);
}

test('the PyTorch text teacher tokenizes raw texts with its own tokenizer.json and gives PyTorch\'s logits', async () => {
  const tok = loadTokenizer(join(DIR, 'tokenizer.json'));
  const b = tok.encodeBatch(texts, { maxLength: golden.maxLength });
  golden.probes.forEach((p, i) => assert.deepEqual(Array.from(b.ids.subarray(i * 96, (i + 1) * 96)), p.teacherIds, `teacher ids of ${p.key}`));
  const teacher = await loadTeacher({ type: 'onnx', path: TEACHER }, ctx);
  try {
    assert.equal(teacher.readsTexts, true);
    // The student's ids are not what it reads: zeros here.
    const { logits } = await teacher.predict(tf.zeros([texts.length, 64]), { texts });
    const got = (await logits.data()) as Float32Array;
    logits.dispose();
    golden.probes.forEach((p, i) => {
      for (let k = 0; k < 2; k++) assert.ok(Math.abs(got[i * 2 + k] - p.logits[k]) < 1e-4, `${p.key}: logit ${k} ${got[i * 2 + k]} vs PyTorch ${p.logits[k]}`);
    });
  } finally {
    teacher.dispose();
  }
});

test('the student tokenizer distillery built gives Python tokenizers\' ids on real e-mails', () => {
  const tok = loadTokenizer(join(DIR, 'student-tokenizer.json'));
  const b = tok.encodeBatch(texts, { maxLength: 64 });
  golden.probes.forEach((p, i) => assert.deepEqual(Array.from(b.ids.subarray(i * 64, (i + 1) * 64)), p.studentIds, p.key));
});

test('cached logits are keyed by example: students with different tokenizers share the teacher\'s entry', async () => {
  const csv = join(tmp, 'probes.jsonl');
  writeFileSync(csv, golden.probes.map((p) => JSON.stringify({ text: p.text, label: p.label })).join('\n'));
  const a = await loadData({ source: { type: 'text', train: csv }, text: { maxLength: 64, tokenizer: { kind: 'word', minFrequency: 1 } } }, { baseDir: tmp, seed: 1 });
  const b = await loadData({ source: { type: 'text', train: csv }, text: { maxLength: 32, tokenizer: { kind: 'wordpiece', vocabSize: 300 } } }, { baseDir: tmp, seed: 1 });
  assert.notDeepEqual(Array.from(a.train.x.subarray(0, 32)), Array.from(b.train.x.subarray(0, 32)));
  const teacher = await loadTeacher({ type: 'onnx', path: TEACHER }, { ...ctx, dataShape: [64] });
  try {
    const cacheDir = join(tmp, 'cache');
    const r1 = await cachedTeacherLogits(teacher, a.train, { fingerprint: a.fingerprint, normalization: a.normalization, cacheDir });
    const r2 = await cachedTeacherLogits(teacher, b.train, { fingerprint: b.fingerprint, normalization: b.normalization, cacheDir });
    assert.equal(r1.hit, false);
    assert.equal(r2.hit, true);
    assert.equal(r1.key, r2.key);
    // Row i is example i of the data set (its key), whatever the order the teacher saw.
    const at = new Map(golden.probes.map((p) => [p.text, p.logits]));
    a.train.text!.texts.forEach((t, i) => assert.ok(Math.abs(r2.logits[i * 2] - at.get(t)![0]) < 1e-4));
  } finally {
    teacher.dispose();
  }
});

test('bad input: an image teacher on text, labels that differ from the data\'s, a broken or missing tokenizer.json', async () => {
  await rejects(loadTeacher({ type: 'onnx', path: join(ROOT, 'examples/teachers/mnist-cnn.onnx') }, ctx), 'TEACHER_INPUT_TOKENS', "input 'input' is float32", 'token ids');
  await rejects(loadTeacher({ type: 'onnx', path: TEACHER, labels: ['spam', 'ham'] }, ctx), 'TEACHER_LABELS', '[spam, ham]', '[ham, spam]');
  const broken = join(tmp, 'broken.json');
  writeFileSync(broken, '{"model": {"type": "WordPiece", "vocab": ');
  await rejects(loadTeacher({ type: 'onnx', path: TEACHER, tokenizer: broken }, ctx), 'TOKENIZER_FORMAT', 'broken.json');
  await rejects(loadTeacher({ type: 'onnx', path: TEACHER, tokenizer: join(tmp, 'none.json') }, ctx), 'TEACHER_TOKENIZER', 'none.json');
  await rejects(loadTeacher({ type: 'onnx', path: TEACHER }, { ...ctx, numClasses: 3, classNames: ['a', 'b', 'c'] }), 'TEACHER_LABELS');
});
