import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { DistilleryError, isDistilleryError } from '../../core/errors.ts';
import { openOnnx, type OnnxSession, type OnnxValueInfo } from '../../runtime/index.ts';
import type { Teacher, TeacherOutput } from '../types.ts';
import { affineKey, checkClasses, hashParts, shapeText, type TeacherLoadContext } from './common.ts';
import type { OnnxTeacherConfig } from './config.ts';
import { affineBetween, applyAffine, resolveTeacherNormalization } from './normalize.ts';
import { loadOnnxTextTeacher } from './onnx-text.ts';

/** How a batch in distillery's layout becomes the model's input. */
export type InputMapping = 'nhwc' | 'nchw' | 'flat';

const fits = (dims: readonly (number | string)[], want: readonly number[]) => dims.length === want.length && dims.every((v, i) => typeof v !== 'number' || v < 0 || v === want[i]);

/**
 * Decide how distillery's samples (NHWC images, or flat features) feed a model input of shape
 * `modelShape` (batch axis included). Images: NCHW when the model's dims after the batch are
 * [C, H, W] (preferred when both fit, as PyTorch exports NCHW), NHWC when they are [H, W, C];
 * a model taking [N, D] gets each sample flattened. `layout` forces the image layout. Returns
 * undefined when nothing fits.
 *
 * @example
 * inputMapping(['batch', 1, 28, 28], [28, 28, 1]); // 'nchw'
 * inputMapping(['batch', 28, 28, 1], [28, 28, 1]); // 'nhwc'
 * inputMapping(['batch', 784], [28, 28, 1]);       // 'flat'
 */
export function inputMapping(modelShape: readonly (number | string)[], dataShape: readonly number[], layout?: 'nchw' | 'nhwc'): InputMapping | undefined {
  const dims = modelShape.slice(1);
  if (modelShape.length === 0) return layout ?? 'nhwc'; // no shape in the graph: trust the user
  const d = dataShape.reduce((a, b) => a * b, 1);
  if (dims.length === 1 && dataShape.length !== 1) return fits(dims, [d]) && layout !== 'nchw' ? 'flat' : undefined;
  if (dataShape.length === 3 && dims.length === 3) {
    const [h, w, c] = dataShape;
    const nchw = fits(dims, [c, h, w]);
    const nhwc = fits(dims, [h, w, c]);
    if (layout === 'nchw') return nchw ? 'nchw' : undefined;
    if (layout === 'nhwc') return nhwc ? 'nhwc' : undefined;
    return nchw ? 'nchw' : nhwc ? 'nhwc' : undefined;
  }
  return fits(dims, dataShape) ? 'nhwc' : undefined;
}

function pick(list: readonly OnnxValueInfo[], name: string | undefined, what: 'input' | 'output', file: string, where: string): OnnxValueInfo {
  if (name !== undefined) {
    const v = list.find((o) => o.name === name);
    if (!v) throw new DistilleryError(`TEACHER_${what.toUpperCase()}`, `${file}: no graph ${what} named '${name}' (${what}s: ${list.map((o) => o.name).join(', ')})`, `set ${where} to one of the names listed`, where);
    return v;
  }
  if (what === 'input' && list.length !== 1) {
    throw new DistilleryError('TEACHER_INPUT', `${file}: the graph has ${list.length} inputs (${list.map((o) => o.name).join(', ')})`, `name the image input with ${where}`, where);
  }
  return list[0];
}

/**
 * An ONNX file as a teacher, run by onnxruntime on the CPU with every core. Batches arrive in
 * distillery's layout (NHWC) and are transposed to NCHW when the model wants it; 4-D feature
 * outputs of an NCHW model are transposed back to NHWC, so that they line up with a TF.js
 * student's feature maps. Features are the graph's other outputs, by name.
 *
 * @example
 * const t = await loadOnnxTeacher({ type: 'onnx', path: 'cnn.onnx' }, 'cnn.onnx', ctx);
 * t.featureNames; // ['features']
 */
export async function loadOnnxTeacher(cfg: OnnxTeacherConfig, path: string, ctx: TeacherLoadContext): Promise<Teacher> {
  const key = ctx.key ?? 'teacher';
  const where = `${key}.path`;
  if (!existsSync(path)) throw new DistilleryError('TEACHER_NOT_FOUND', `${path}: no such file`, 'check the path (relative paths are resolved from the config file)', where);
  if (statSync(path).isDirectory()) throw new DistilleryError('TEACHER_FORMAT', `${path}: a folder, not an ONNX model file`, 'pass the .onnx file (type: tfjs is for TF.js model folders)', where);
  const bytes = readFileSync(path);
  let session: OnnxSession;
  try {
    session = await openOnnx(path, { bytes });
  } catch (e) {
    if (isDistilleryError(e) && e.code === 'ONNX_FORMAT') throw new DistilleryError('TEACHER_FORMAT', e.message, e.hint, where);
    throw e;
  }
  try {
    if (ctx.text) return await loadOnnxTextTeacher(cfg, path, bytes, session, ctx, key);
    return await build(cfg, path, bytes, session, ctx, key);
  } catch (e) {
    await session.release();
    throw e;
  }
}

async function build(cfg: OnnxTeacherConfig, path: string, bytes: Uint8Array, session: OnnxSession, ctx: TeacherLoadContext, key: string): Promise<Teacher> {
  const input = pick(session.inputs, cfg.input, 'input', path, `${key}.input`);
  const output = pick(session.outputs, cfg.output, 'output', path, `${key}.output`);
  const mapping = inputMapping(input.shape, ctx.dataShape, cfg.layout);
  if (!mapping) {
    const [h, w, c] = ctx.dataShape;
    const expected = ctx.dataShape.length === 3 ? (cfg.layout === 'nhwc' ? `[N, ${h}, ${w}, ${c}]` : `[N, ${c}, ${h}, ${w}] (NCHW) or [N, ${h}, ${w}, ${c}] (NHWC)`) : shapeText([null, ...ctx.dataShape]);
    throw new DistilleryError(
      'TEACHER_INPUT_SHAPE',
      `${path}: input '${input.name}' has shape ${shapeText(input.shape)}, the data's samples are [${ctx.dataShape.join(', ')}] (expected ${expected}, got ${shapeText(input.shape)})`,
      cfg.layout ? `check ${key}.layout, or use a teacher trained on data of this shape` : 'use a teacher trained on data of this shape',
      `${key}.path`,
    );
  }
  const toModel = (x: tf.Tensor): tf.Tensor => {
    const n = x.shape[0];
    if (mapping === 'flat') return tf.reshape(x, [n, -1]);
    const img = x.shape.length === ctx.dataShape.length + 1 ? x : tf.reshape(x, [n, ...ctx.dataShape]);
    return mapping === 'nchw' ? tf.transpose(img, [0, 3, 1, 2]) : img;
  };
  // Probe with one sample when the graph leaves the class dimension symbolic.
  let classes = output.shape.length === 2 && typeof output.shape[1] === 'number' && output.shape[1] > 0 ? output.shape[1] : undefined;
  if (classes === undefined) {
    const probe = tf.tidy(() => toModel(tf.zeros([1, ...ctx.dataShape])));
    const res = await session.run({ [input.name]: { data: probe.dataSync() as Float32Array, dims: probe.shape } }, [output.name]);
    probe.dispose();
    const dims = res[output.name].dims;
    if (dims.length !== 2) {
      throw new DistilleryError('TEACHER_OUTPUT', `${path}: output '${output.name}' has shape ${shapeText(dims)}, a teacher's logits are [N, classes]`, `name the logits output with ${key}.output`, `${key}.output`);
    }
    classes = dims[1];
  }
  checkClasses(classes, ctx.numClasses, `${key}.path`, path);
  const teacherNorm = cfg.normalize !== undefined ? resolveTeacherNormalization(cfg.normalize, ctx, `${key}.normalize`) : ctx.normalization;
  const affine = affineBetween(ctx.normalization, teacherNorm, ctx.dataShape, `${key}.normalize`);
  const featureNames = session.outputs.map((o) => o.name).filter((n) => n !== output.name);
  const fromModel = (data: Float32Array, dims: readonly number[]): tf.Tensor => {
    const t = tf.tensor(data, [...dims]);
    if (mapping !== 'nchw' || dims.length !== 4) return t;
    const y = tf.transpose(t, [0, 2, 3, 1]);
    t.dispose();
    return y;
  };

  return {
    kind: 'onnx',
    name: basename(path),
    numClasses: ctx.numClasses,
    inputShape: [...ctx.dataShape],
    hash: hashParts(['onnx', bytes, { input: input.name, output: output.name, mapping }, affineKey(affine)]),
    featureNames,
    async predict(x, opts): Promise<TeacherOutput> {
      const names = opts?.features ?? [];
      for (const n of names) {
        if (!featureNames.includes(n)) {
          throw new DistilleryError(
            'TEACHER_FEATURE',
            `${path}: '${n}' is not an output of the graph (outputs: ${session.outputs.map((o) => o.name).join(', ')})`,
            'an intermediate tensor must be a graph output: export it as one (torch.onnx.export(..., output_names=[...]) with the tensor returned by forward)',
            `${key}.path`,
          );
        }
      }
      const fed = tf.tidy(() => toModel(applyAffine(x, affine)));
      const data = (await fed.data()) as Float32Array;
      const dims = fed.shape;
      if (fed !== x) fed.dispose(); // an NHWC model with the student's normalisation is fed x itself
      const res = await session.run({ [input.name]: { data, dims } }, [output.name, ...names]);
      const logits = fromModel(res[output.name].data, res[output.name].dims) as tf.Tensor2D;
      if (names.length === 0) return { logits };
      const features: Record<string, tf.Tensor> = {};
      for (const n of names) features[n] = fromModel(res[n].data, res[n].dims);
      return { logits, features };
    },
    dispose() {
      void session.release();
    },
  };
}
