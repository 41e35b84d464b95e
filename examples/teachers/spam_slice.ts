/**
 * Write the inputs of train_torch_text.py into a folder: a slice of the built-in spam corpus's
 * training split (train.jsonl), the first test e-mails (probe.jsonl, cut to their first 1,500
 * characters to keep the golden file small), and a student tokenizer built by distillery on the
 * slice (student-tokenizer.json, fixed length 64), which the Python script encodes with Python
 * `tokenizers` for the cross-check.
 *
 *   node --import tsx examples/teachers/spam_slice.ts OUT_DIR [N_TRAIN]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spamCorpus } from '../../src/data/text/spam.ts';
import { buildTokenizer, withFixedLength } from '../../src/tokenizers/index.ts';

const out = process.argv[2];
if (!out) throw new Error('usage: spam_slice.ts OUT_DIR [N_TRAIN]');
const nTrain = Number(process.argv[3] ?? 1200);
const { train, test } = spamCorpus();
mkdirSync(out, { recursive: true });
const lines = (texts: string[], labels: string[], keys: string[], n: number) =>
  texts.slice(0, n).map((t, i) => JSON.stringify({ key: keys[i], label: labels[i], text: t })).join('\n') + '\n';
writeFileSync(join(out, 'train.jsonl'), lines(train.texts, train.labels, train.keys, nTrain));
writeFileSync(join(out, 'test.jsonl'), lines(test.texts, test.labels, test.keys, 400));
writeFileSync(join(out, 'probe.jsonl'), lines(test.texts.map((t) => t.slice(0, 1500)), test.labels, test.keys, 12));
const student = buildTokenizer(train.texts.slice(0, nTrain), { kind: 'wordpiece', vocabSize: 1000 }, 64);
writeFileSync(join(out, 'student-tokenizer.json'), JSON.stringify(withFixedLength(student, 64)));
console.log(`wrote ${out}: ${Math.min(nTrain, train.texts.length)} training e-mails, 400 test, 12 probes`);
