import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { DistilleryError } from '../../core/errors.ts';
import type { OnnxFeed, OnnxSession, OnnxValueInfo } from '../../runtime/index.ts';
import { loadTokenizer, type TextTokenizer } from '../../tokenizers/load.ts';
import type { Teacher, TeacherOutput } from '../types.ts';
import { checkClasses, checkLabels, hashParts, shapeText, type TeacherLoadContext } from './common.ts';
import type { OnnxTeacherConfig } from './config.ts';

const INT_TYPES = ['int64', 'int32'];
/** Inputs a BERT-style export may have besides the token ids. */
const MASK_NAMES = ['attention_mask', 'input_mask'];
const TYPE_NAMES = ['token_type_ids', 'segment_ids'];

/**
 * An ONNX text classifier with its own tokenizer (a BERT-style model exported from PyTorch or
 * transformers): it tokenizes each batch's raw texts with its `tokenizer.json` (by default the
 * one beside the .onnx file), never the student's ids, so teacher and student may split words
 * differently. Feeds `input_ids` (int64 or int32, as the graph declares), `attention_mask` and
 * `token_type_ids` (zeros) when the graph has them. The ids are padded/truncated to the graph's
 * fixed length, else `maxLength` of the config, else the tokenizer's own truncation length,
 * else the student's. Class names (`labels.json` beside the file, or `labels` in the config)
 * must equal the data's when given.
 *
 * @example
 * const t = await loadOnnxTextTeacher({ type: 'onnx', path: 'spam-tiny/teacher.onnx' }, path, bytes, session, ctx, 'teacher');
 * const { logits } = await t.predict(ids, { texts: ['Win a FREE cruise'] });
 */
export async function loadOnnxTextTeacher(cfg: OnnxTeacherConfig, path: string, bytes: Uint8Array, session: OnnxSession, ctx: TeacherLoadContext, key: string): Promise<Teacher> {
  const ids = idsInput(session.inputs, cfg.input, path, key);
  const mask = session.inputs.find((i) => MASK_NAMES.includes(i.name));
  const types = session.inputs.find((i) => TYPE_NAMES.includes(i.name));
  const other = session.inputs.filter((i) => i !== ids && i !== mask && i !== types);
  if (other.length > 0) {
    throw new DistilleryError('TEACHER_INPUT', `${path}: inputs ${other.map((o) => `'${o.name}'`).join(', ')} are neither token ids, attention_mask nor token_type_ids`, 'export the text model with input_ids (and attention_mask) as its only inputs', `${key}.path`);
  }
  const tokFile = cfg.tokenizer !== undefined ? (isAbsolute(cfg.tokenizer) ? cfg.tokenizer : resolve(ctx.baseDir, cfg.tokenizer)) : join(dirname(path), 'tokenizer.json');
  if (!existsSync(tokFile)) {
    throw new DistilleryError('TEACHER_TOKENIZER', `${path}: a text teacher needs its tokenizer.json, and ${tokFile} does not exist`, `put the teacher's tokenizer.json beside the .onnx file or name it with ${key}.tokenizer`, `${key}.tokenizer`);
  }
  const tokenizer = loadTokenizer(tokFile);
  const fixed = typeof ids.shape[1] === 'number' && ids.shape[1] > 0 ? ids.shape[1] : undefined;
  const truncation = tokenizer.json['truncation'] as { max_length?: number } | null | undefined;
  const maxLength = fixed ?? cfg.maxLength ?? truncation?.max_length ?? ctx.text?.maxLength ?? 128;
  checkOwnLabels(cfg, path, ctx, key);
  const output = cfg.output !== undefined ? session.outputs.find((o) => o.name === cfg.output) : session.outputs[0];
  if (!output) throw new DistilleryError('TEACHER_OUTPUT', `${path}: no graph output named '${cfg.output}' (outputs: ${session.outputs.map((o) => o.name).join(', ')})`, `set ${key}.output to one of the names listed`, `${key}.output`);

  const run = async (texts: readonly string[]): Promise<{ data: Float32Array; dims: readonly number[] }> => {
    const b = encodeFor(tokenizer, texts, maxLength);
    const feeds: Record<string, OnnxFeed> = { [ids.name]: intFeed(b.ids, ids.type, [b.n, maxLength]) };
    if (mask) feeds[mask.name] = intFeed(Int32Array.from(b.attentionMask), mask.type, [b.n, maxLength]);
    if (types) feeds[types.name] = intFeed(new Int32Array(b.n * maxLength), types.type, [b.n, maxLength]);
    const res = await session.run(feeds, [output.name]);
    return res[output.name];
  };
  const probe = await run(['']);
  if (probe.dims.length !== 2) {
    throw new DistilleryError('TEACHER_OUTPUT', `${path}: output '${output.name}' has shape ${shapeText(probe.dims)}, a teacher's logits are [N, classes]`, `name the logits output with ${key}.output`, `${key}.output`);
  }
  checkClasses(probe.dims[1], ctx.numClasses, `${key}.path`, path);
  const tokText = readFileSync(tokFile);

  return {
    kind: 'onnx',
    name: basename(path),
    numClasses: ctx.numClasses,
    inputShape: [...ctx.dataShape],
    // Its own tokenizer and length are part of what it computes; the student's tokenizer is not.
    hash: hashParts(['onnx-text', bytes, tokText, { input: ids.name, mask: mask?.name ?? null, output: output.name, maxLength }]),
    featureNames: [],
    readsTexts: true,
    async predict(x, opts): Promise<TeacherOutput> {
      if ((opts?.features ?? []).length > 0) {
        throw new DistilleryError('TEACHER_FEATURE', `${path}: a text teacher gives logits only here`, 'use logit terms (kd, dkd, ce) with an ONNX text teacher', `${key}.path`);
      }
      const texts = opts?.texts;
      if (!texts || texts.length !== x.shape[0]) throw new Error(`internal error: the ONNX text teacher ${path} needs the batch's ${x.shape[0]} raw texts`);
      const r = await run(texts);
      return { logits: tf.tensor2d(r.data, [r.dims[0], r.dims[1]]) };
    },
    dispose() {
      void session.release();
    },
  };
}

function idsInput(inputs: readonly OnnxValueInfo[], name: string | undefined, path: string, key: string): OnnxValueInfo {
  const v = name !== undefined ? inputs.find((i) => i.name === name) : (inputs.find((i) => i.name === 'input_ids') ?? (inputs.length === 1 ? inputs[0] : undefined));
  if (!v) {
    throw new DistilleryError('TEACHER_INPUT', `${path}: no input ${name !== undefined ? `named '${name}'` : "'input_ids'"} (inputs: ${inputs.map((i) => i.name).join(', ')})`, `name the token-id input with ${key}.input`, `${key}.input`);
  }
  if (!INT_TYPES.includes(v.type) || v.shape.length !== 2) {
    throw new DistilleryError(
      'TEACHER_INPUT_TOKENS',
      `${path}: input '${v.name}' is ${v.type} ${shapeText(v.shape)}, the data is text: a text teacher takes token ids (int64 or int32 [N, length])`,
      'use a text model exported with integer input_ids (torch.onnx.export of a model whose forward takes token ids), or a numeric data source for this teacher',
      `${key}.path`,
    );
  }
  return v;
}

function checkOwnLabels(cfg: OnnxTeacherConfig, path: string, ctx: TeacherLoadContext, key: string): void {
  const file = join(dirname(path), 'labels.json');
  const labels = cfg.labels ?? (existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as unknown) : undefined);
  if (labels === undefined) return;
  checkLabels(Array.isArray(labels) ? labels.map(String) : [], ctx.classNames, cfg.labels ? `${key}.labels` : file, path);
}

function encodeFor(tok: TextTokenizer, texts: readonly string[], maxLength: number) {
  return tok.encodeBatch(texts, { maxLength });
}

function intFeed(data: Int32Array, type: string, dims: number[]): OnnxFeed {
  return type === 'int64' ? { data: BigInt64Array.from(data, (v) => BigInt(v)), dims } : { data, dims };
}
