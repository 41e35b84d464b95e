import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { DistilleryError, isDistilleryError } from '../../core/errors.ts';
import type { Normalization } from '../../data/normalize.ts';
import { attentionMaps, attentionSources, blockOutputNames, loadModel, METADATA_KEY, MODEL_JSON } from '../../models/index.ts';
import type { Teacher, TeacherOutput } from '../types.ts';
import { readModelInputs } from '../../data/text/artifacts.ts';
import { affineKey, checkClasses, checkLabels, hashParts, shapeText, type TeacherLoadContext } from './common.ts';
import type { TfjsTeacherConfig } from './config.ts';
import { affineBetween, applyAffine, resolveTeacherNormalization } from './normalize.ts';

/** The model folder of a `path` that names the folder or the `model.json` in it. */
function modelDir(path: string, where: string): string {
  if (existsSync(path) && statSync(path).isDirectory()) return path;
  if (basename(path) === MODEL_JSON) return dirname(path);
  if (!existsSync(path)) throw new DistilleryError('TEACHER_NOT_FOUND', `${path}: no such file or folder`, 'pass a TF.js model folder (with model.json) or its model.json', where);
  throw new DistilleryError('TEACHER_FORMAT', `${path}: not a TF.js model folder or model.json`, 'pass the folder that `distillery train` wrote (it holds model.json and weights.bin)', where);
}

/** The model's bytes: model.json and every weight file its manifest names, in order. */
function modelBytes(dir: string): Uint8Array[] {
  const json = readFileSync(join(dir, MODEL_JSON));
  const out: Uint8Array[] = [json];
  const manifest = (JSON.parse(json.toString('utf8')) as { weightsManifest?: { paths: string[] }[] }).weightsManifest ?? [];
  for (const g of manifest) for (const p of g.paths) out.push(readFileSync(join(dir, p)));
  return out;
}

/** A model whose last layer applies softmax gives probabilities: their log acts as logits. */
function endsInSoftmax(model: tfl.LayersModel): boolean {
  const last = model.layers[model.layers.length - 1];
  const act = (last?.getConfig() as { activation?: unknown }).activation;
  return act === 'softmax' || last?.getClassName() === 'Softmax';
}

/** The normalisation saved with a model by `distillery train`, if any. */
function savedNormalization(model: tfl.LayersModel): Normalization | undefined {
  const meta = model.getUserDefinedMetadata() as Record<string, { normalization?: Normalization }> | undefined;
  const n = meta?.[METADATA_KEY]?.normalization;
  return n && Array.isArray(n.mean) && Array.isArray(n.std) ? n : undefined;
}

/**
 * A TF.js layers model as a teacher. Features are the outputs of named layers (`b3_act`), or
 * of whole blocks by their index (`b3`: the block's output layer, see `blockOutputNames`). The
 * teacher's input normalisation is, in order: `normalize` from the config, the one saved in the
 * model's metadata by `distillery train`, else the student's own.
 *
 * @example
 * const t = await loadTfjsTeacher({ type: 'tfjs', path: 'runs/teacher/model' }, ctx);
 * const { logits, features } = await t.predict(batch, { features: ['b2'] });
 */
export async function loadTfjsTeacher(cfg: TfjsTeacherConfig, path: string, ctx: TeacherLoadContext): Promise<Teacher> {
  const key = ctx.key ?? 'teacher';
  const dir = modelDir(path, `${key}.path`);
  let model: tfl.LayersModel;
  let bytes: Uint8Array[];
  try {
    model = await loadModel(dir);
    bytes = modelBytes(dir);
  } catch (e) {
    if (isDistilleryError(e) && e.code === 'MODEL_NOT_FOUND') throw new DistilleryError('TEACHER_NOT_FOUND', e.message, e.hint, `${key}.path`);
    const why = String((e as Error).message ?? e).split('\n')[0];
    throw new DistilleryError('TEACHER_FORMAT', `${join(dir, MODEL_JSON)}: not a TF.js layers model (${why})`, 'pass the folder that `distillery train` wrote (it holds model.json and weights.bin)', `${key}.path`);
  }
  const file = join(dir, MODEL_JSON);
  // A text teacher trained here has its own tokenizer.json: it reads the raw texts, at its own length.
  const own = ctx.text ? readModelInputs(dir) : {};
  const textTok = own.tokenizer;
  const inShape = model.inputs[0].shape.slice(1);
  const d = ctx.dataShape.reduce((a, b) => a * b, 1);
  const same = inShape.length === ctx.dataShape.length && inShape.every((v, i) => v === null || v === ctx.dataShape[i]);
  const flat = inShape.length === 1 && inShape[0] === d;
  if (!same && !flat && !textTok) {
    model.dispose();
    throw new DistilleryError(
      'TEACHER_INPUT_SHAPE',
      `${file}: the teacher takes inputs of shape ${shapeText(inShape)}, the data's samples are [${ctx.dataShape.join(', ')}] (expected ${shapeText([null, ...ctx.dataShape])}, got ${shapeText(model.inputs[0].shape)})`,
      'use a teacher trained on data of the same shape',
      `${key}.path`,
    );
  }
  const outShape = model.outputs[0].shape;
  if (outShape.length !== 2 || typeof outShape[1] !== 'number') {
    model.dispose();
    throw new DistilleryError('TEACHER_FORMAT', `${file}: the model's output has shape ${shapeText(outShape)}, a teacher must output [N, classes]`, 'end the model with a dense layer over the classes', `${key}.path`);
  }
  try {
    checkClasses(outShape[1], ctx.numClasses, `${key}.path`, file);
    checkLabels(own.classNames, ctx.classNames, `${key}.path`, file);
  } catch (e) {
    model.dispose();
    throw e;
  }
  const teacherNorm = cfg.normalize !== undefined ? resolveTeacherNormalization(cfg.normalize, ctx, `${key}.normalize`) : (savedNormalization(model) ?? ctx.normalization);
  const affine = affineBetween(ctx.normalization, teacherNorm, ctx.dataShape, `${key}.normalize`);
  const softmax = endsInSoftmax(model);
  const blocks = blockOutputNames(model);
  const layerNames = model.layers.filter((l) => l.getClassName() !== 'InputLayer').map((l) => l.name);
  // a transformer's attention maps are computed from its input layer's output (see attentionSources)
  const attention = attentionSources(model);
  const featureNames = [...layerNames, ...blocks.map((_, i) => `b${i}`).filter((n) => !layerNames.includes(n)), ...attention.keys()];
  const heads = new Map<string, tfl.LayersModel>();

  function layerFor(name: string): tfl.SymbolicTensor {
    const src = attention.get(name);
    if (src) return layerFor(src.input);
    const alias = /^b(\d+)$/.exec(name);
    const layerName = alias && !layerNames.includes(name) ? blocks[Number(alias[1])] : name;
    const layer = layerName === undefined ? undefined : model.layers.find((l) => l.name === layerName);
    if (!layer) {
      throw new DistilleryError('TEACHER_FEATURE', `${file}: no layer named '${name}' (layers: ${layerNames.join(', ')})`, 'name a layer of the teacher, or a block as b<index>', `${key}.path`);
    }
    return layer.output as tfl.SymbolicTensor;
  }

  /**
   * One model sharing the teacher's layers, with the logits and the asked features as outputs;
   * names that read the same layer (`b1` and `b2.attention`) share one output (a model with an
   * output twice fails in predictOnBatch). `slots[i]` is name i's output index after the logits.
   */
  function headFor(names: readonly string[]): { head: tfl.LayersModel; slots: number[] } {
    const k = names.join('\u0000');
    let m = heads.get(k);
    const outs: tfl.SymbolicTensor[] = [];
    const slots = names.map((n) => {
      const t = layerFor(n);
      const i = outs.indexOf(t);
      return i >= 0 ? i : outs.push(t) - 1;
    });
    if (!m) {
      m = tfl.model({ inputs: model.inputs, outputs: [model.outputs[0], ...outs] });
      heads.set(k, m);
    }
    return { head: m, slots };
  }

  return {
    kind: 'tfjs',
    name: basename(dir),
    numClasses: ctx.numClasses,
    inputShape: [...ctx.dataShape],
    hash: hashParts(['tfjs', ...bytes, affineKey(affine), textTok ? textTok.json : null]),
    featureNames,
    ...(textTok ? { readsTexts: true } : {}),
    async predict(x, opts): Promise<TeacherOutput> {
      const names = opts?.features ?? [];
      const { head, slots } = names.length > 0 ? headFor(names) : { head: model, slots: [] };
      let ids: Int32Array | undefined;
      if (textTok) {
        if (!opts?.texts || opts.texts.length !== x.shape[0]) throw new Error(`internal error: the text teacher ${file} needs the batch's ${x.shape[0]} raw texts`);
        ids = textTok.encodeBatch(opts.texts, { maxLength: inShape[0] as number }).ids;
      }
      return tf.tidy(() => {
        let input = ids ? tf.tensor(ids, [ids.length / (inShape[0] as number), inShape[0] as number], model.inputs[0].dtype === 'int32' ? 'int32' : 'float32') : applyAffine(x, affine);
        if (flat && input.shape.length !== 2) input = tf.reshape(input, [input.shape[0], d]);
        const out = head.predictOnBatch(input);
        const [first, ...rest] = Array.isArray(out) ? out : [out];
        const logits = (softmax ? tf.log(tf.maximum(first, 1e-30)) : first) as tf.Tensor2D;
        if (names.length === 0) return { logits };
        const features: Record<string, tf.Tensor> = {};
        names.forEach((n, i) => {
          const f = rest[slots[i]!]!;
          features[n] = attention.has(n) ? attentionMaps(attention, [n], { [attention.get(n)!.input]: f }, input)[n]! : f;
        });
        return { logits, features };
      });
    },
    dispose() {
      model.dispose();
    },
  };
}
