import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { loadData } from '../data/index.ts';
import { disposeEngine, initEngine } from '../engine/index.ts';
import { fit } from '../train/index.ts';
import { cachedTeacherLogits } from './cache.ts';
import { distillHooks, evaluateTeacher } from './job.ts';
import { createLoss } from './losses/index.ts';
import { loadTeacher } from './teachers/index.ts';
import { ROOT } from './teachers/testing.ts';

// cpu: the stock wasm backend has no UnsortedSegmentSum, the embedding's gradient (the text blocks bring their own).
before(async () => { await initEngine({ backend: 'cpu' }); });
after(async () => { await disposeEngine(); });

test('an ONNX teacher with its own tokenizer teaches a student with another tokenizer on spam (kd on cached logits)', async () => {
  // 600 training e-mails of the fixed split; the student: uncased WordPiece, 48 tokens (the teacher: cased BERT WordPiece, 96).
  const data = await loadData({ source: 'spam', limit: 600, testLimit: 300, text: { maxLength: 48, tokenizer: { kind: 'wordpiece', vocabSize: 1500 } } }, { baseDir: ROOT, seed: 1 });
  const { train, test: held } = { train: data.train, test: data.test! };
  const teacher = await loadTeacher(
    { type: 'onnx', path: join(ROOT, 'examples/teachers/spam-tiny/teacher.onnx') },
    { baseDir: ROOT, dataShape: train.shape, numClasses: 2, classNames: train.classNames, normalization: data.normalization, text: { maxLength: 48 } },
  );
  const loss = createLoss([{ term: 'kd', weight: 1, T: 2 }], 'loss', { seed: 1 });
  const vocab = Object.keys((train.text!.tokenizer.model as { vocab: object }).vocab).length;
  const student = tfl.sequential({ layers: [tfl.layers.embedding({ inputDim: vocab, outputDim: 16, inputShape: [48] }), tfl.layers.globalAveragePooling1d(), tfl.layers.dense({ units: 2 })] });
  try {
    const t = await evaluateTeacher(teacher, held, 100);
    const { logits } = await cachedTeacherLogits(teacher, train, { fingerprint: data.fingerprint, normalization: data.normalization, cacheDir: false });
    const hooks = await distillHooks({ loss, student, teacher, cachedLogits: logits, numClasses: 2, dataShape: train.shape }, train);
    try {
      await fit(student, train, { epochs: 8, batchSize: 32, optimizer: { type: 'adam', lr: 0.01 } as never, seed: 1, ...hooks.fit });
    } finally {
      hooks.dispose();
    }
    // Agreement with the teacher on the held-out e-mails, which the student saw through its own tokenizer only.
    const sp = (await (tf.argMax(student.predict(tf.tensor(held.x, [held.y.length, 48])) as tf.Tensor, 1).data())) as Int32Array;
    const tp = (await (tf.argMax((await teacher.predict(tf.zeros([held.y.length, 48]), { texts: held.text!.texts })).logits, 1).data())) as Int32Array;
    let agree = 0;
    let correct = 0;
    for (let i = 0; i < sp.length; i++) {
      agree += sp[i] === tp[i] ? 1 : 0;
      correct += sp[i] === held.y[i] ? 1 : 0;
    }
    const majority = Math.max(...[0, 1].map((c) => held.y.filter((y) => y === c).length)) / held.y.length;
    assert.ok(t.accuracy > 0.85, `teacher accuracy ${t.accuracy}`);
    assert.ok(agree / sp.length > 0.85, `agreement ${agree / sp.length}`);
    assert.ok(correct / sp.length > majority + 0.05, `student accuracy ${correct / sp.length}, majority class ${majority}`);
  } finally {
    student.dispose();
    teacher.dispose();
    loss.dispose();
  }
});
