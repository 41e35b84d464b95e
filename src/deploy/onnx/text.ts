import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../../core/rng.ts';
import { writeFileAtomic } from '../../core/fs.ts';
import type { TextTokenizer } from '../../tokenizers/index.ts';
import { openOnnx } from '../../runtime/index.ts';
import { argmaxRows, onnxLogits } from '../../onnx/index.ts';

/** The files beside `model.json` that a model needs to take raw inputs, copied beside an export. */
export const MODEL_INPUT_FILES = ['labels.json', 'tokenizer.json'] as const;

/**
 * Copy `labels.json` and (for a text model) `tokenizer.json` from a model folder into an export
 * folder, so the exported file travels with what turns raw inputs into its input and its
 * outputs into class names. Returns the paths written.
 *
 * @example
 * copyModelInputs('runs/spam-student/model', 'runs/spam-student/export'); // [.../labels.json, .../tokenizer.json]
 */
export function copyModelInputs(modelDir: string, out: string): string[] {
  const written: string[] = [];
  for (const name of MODEL_INPUT_FILES) {
    const from = join(modelDir, name);
    if (!existsSync(from)) continue;
    writeFileAtomic(join(out, name), readFileSync(from));
    written.push(join(out, name));
  }
  return written;
}

/** How the exported model reads raw texts, against training-time prediction. */
export interface TextParityReport {
  /** Raw texts compared (the whole labelled test set). */
  samples: number;
  /** Texts whose class from tokenizer.json + ONNX differs from TF.js's on the training-time ids. */
  classDiffers: number;
  /** Texts whose ids from the saved tokenizer.json differ from those training computed (a diagnostic: a class can survive a changed id). */
  idsDiffer: number;
  /** No class differs. */
  ok: boolean;
}

/**
 * Raw-text parity: tokenize the raw test texts with the tokenizer that ships with the export
 * (`tokenizer.json`), run the fp32 ONNX file on those ids in onnxruntime, and compare each
 * predicted class with the TF.js model's on the ids the training pipeline made (`refClasses`,
 * `refIds`): the proof that a user who has only `model.onnx` and `tokenizer.json` gets what the
 * trained model predicts, text by text.
 *
 * @example
 * const r = await rawTextParity(fp32, tok, test.texts, 128, argmaxRows(tfLogits(model, test.x, [128]), 2), test.x);
 * r.ok; // every text, the same class
 */
export async function rawTextParity(onnxBytes: Uint8Array, tokenizer: TextTokenizer, texts: readonly string[], maxLength: number, refClasses: Int32Array, refIds: Float32Array): Promise<TextParityReport> {
  const { ids } = tokenizer.encodeBatch(texts, { maxLength });
  let idsDiffer = 0;
  for (let i = 0; i < texts.length; i++) {
    for (let j = i * maxLength; j < (i + 1) * maxLength; j++) {
      if (ids[j] !== refIds[j]) {
        idsDiffer++;
        break;
      }
    }
  }
  const session = await openOnnx('raw-text parity', { bytes: onnxBytes });
  let classes: Int32Array;
  try {
    const logits = await onnxLogits(session, Float32Array.from(ids), [maxLength]);
    classes = argmaxRows(logits, logits.length / texts.length);
  } finally {
    await session.release();
  }
  let classDiffers = 0;
  for (let i = 0; i < classes.length; i++) if (classes[i] !== refClasses[i]) classDiffers++;
  return { samples: texts.length, classDiffers, idsDiffer, ok: classDiffers === 0 && classes.length === refClasses.length };
}

/**
 * Seeded token ids for a parity check when no real texts are known: random lengths 0..L (so
 * padding and the all-padding text are covered) of ids in 1..vocabSize-1.
 *
 * @example
 * randomIds(128, 8000, 256).length; // 256 * 128
 */
export function randomIds(length: number, vocabSize: number, n: number): Float32Array {
  const rng = new Rng(12345);
  const x = new Float32Array(n * length);
  for (let i = 0; i < n; i++) {
    const len = i === 0 ? 0 : Math.floor(rng.next() * (length + 1));
    for (let j = 0; j < len; j++) x[i * length + j] = 1 + Math.floor(rng.next() * Math.max(1, vocabSize - 1));
  }
  return x;
}
