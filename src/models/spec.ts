import { z } from 'zod';
import { DistilleryError } from '../core/errors.ts';

/**
 * The architecture spec: plain JSON, a sequence of blocks, validated with zod (unknown keys are
 * errors with their path). The model outputs logits: there is never a softmax at the end.
 *
 * Defaults (filled by {@link resolveSpec}):
 * - conv2d: kernel 3, stride 1, padding same, activation relu, batchNorm false, bias = !batchNorm
 * - sepconv (MobileNetV1: depthwise k×k stride s → BN → act → pointwise 1×1 → BN → act):
 *   kernel 3, stride 1, padding same, activation relu, batchNorm true, bias = !batchNorm
 * - mbconv (MobileNetV2 inverted residual): expansion 6, kernel 3, stride 1, se 0 (off),
 *   activation relu6; padding is always same and every conv is followed by BN (convs have no bias)
 * - maxpool/avgpool: size 2, stride = size, padding valid (the Keras convention)
 * - dense: activation linear, bias true
 *
 * @example
 * const spec = parseModelSpec({ input: [28, 28, 1], blocks: [{ type: 'flatten' }, { type: 'dense', units: 10 }] });
 */

/** Activation names a block may use; `hswish`/`hsigmoid` are MobileNetV3's relu6(x+3)/6 forms. */
export const activationNames = ['linear', 'relu', 'relu6', 'sigmoid', 'hsigmoid', 'tanh', 'swish', 'hswish'] as const;
/** One of {@link activationNames}. */
export type ActivationName = (typeof activationNames)[number];

const activation = z.enum(activationNames);
const padding = z.enum(['same', 'valid']);
const pos = z.number().int().min(1);

/** conv2d and sepconv take the same options; only their batchNorm default differs (see resolveBlock). */
const convOptions = {
  filters: pos,
  kernel: pos.optional(),
  stride: pos.optional(),
  padding: padding.optional(),
  activation: activation.optional(),
  batchNorm: z.boolean().optional(),
  bias: z.boolean().optional(),
};
const conv2d = z.strictObject({ type: z.literal('conv2d'), ...convOptions });
const sepconv = z.strictObject({ type: z.literal('sepconv'), ...convOptions });
const mbconv = z.strictObject({
  type: z.literal('mbconv'),
  filters: pos,
  expansion: pos.optional(),
  kernel: pos.optional(),
  stride: pos.optional(),
  se: z.number().min(0).max(1).optional(),
  activation: activation.optional(),
});
const batchnorm = z.strictObject({ type: z.literal('batchnorm') });
const activationBlock = z.strictObject({ type: z.literal('activation'), fn: activation });
const poolOptions = { size: pos.optional(), stride: pos.optional(), padding: padding.optional() };
const maxpool = z.strictObject({ type: z.literal('maxpool'), ...poolOptions });
const avgpool = z.strictObject({ type: z.literal('avgpool'), ...poolOptions });
const globalavgpool = z.strictObject({ type: z.literal('globalavgpool') });
const flatten = z.strictObject({ type: z.literal('flatten') });
const dropout = z.strictObject({ type: z.literal('dropout'), rate: z.number().min(0).lt(1) });
const dense = z.strictObject({
  type: z.literal('dense'),
  units: pos,
  activation: activation.optional(),
  bias: z.boolean().optional(),
  /** Max-norm constraint: each unit's incoming weight vector is rescaled to L2 norm <= this after every step (Hinton et al. 2012). */
  maxNorm: z.number().positive().optional(),
});

/** zod schema of one block. */
export const blockSpecSchema = z.discriminatedUnion('type', [
  conv2d, sepconv, mbconv, batchnorm, activationBlock, maxpool, avgpool, globalavgpool, flatten, dropout, dense,
]);

/** zod schema of a whole model spec (the value under the config key `model`). */
export const modelSpecSchema = z.strictObject({
  name: z.string().min(1).optional(),
  /** One sample's shape: [H, W, C] for images, [features] for vectors. */
  input: z.array(pos).min(1).max(3).optional(),
  blocks: z.array(blockSpecSchema),
});

/** One block as written by a user (optional fields may be absent). */
export type BlockSpec = z.infer<typeof blockSpecSchema>;
/** A model spec as written by a user. */
export type ModelSpec = z.infer<typeof modelSpecSchema>;
/** Block type names, e.g. `'mbconv'`. */
export type BlockType = BlockSpec['type'];

type Filled<T> = { [K in keyof T]-?: Exclude<T[K], undefined> };
/** Options without a default: absent means off, and they stay absent when resolved. */
type NoDefault = 'maxNorm';
type Resolved<T> = Filled<Omit<T, NoDefault>> & { [K in Extract<keyof T, NoDefault>]?: Exclude<T[K], undefined> };
/** A block with every default filled in. */
export type ResolvedBlockSpec = { [K in BlockType]: Resolved<Extract<BlockSpec, { type: K }>> }[BlockType];
/** A model spec with the input shape known, every default filled and the head appended. */
export interface ResolvedModelSpec {
  name?: string;
  input: number[];
  blocks: ResolvedBlockSpec[];
}

/** Options that complete a spec: the data's sample shape and class count. */
export interface ResolveOptions {
  /** The data's sample shape; must agree with `spec.input` when both are given. */
  inputShape?: readonly number[];
  /**
   * The number of classes. When the last block is not a dense layer, a linear
   * `{ type: 'dense', units: numClasses }` head is appended; when it is one, its units must match.
   */
  numClasses?: number;
}

/**
 * Validates unknown input (parsed YAML/JSON) as a model spec.
 * Throws `DistilleryError('MODEL_SPEC')` naming the key path (e.g. `model.blocks[2].filtres`).
 *
 * @example
 * parseModelSpec({ blocks: [{ type: 'dense', units: 10 }] });
 */
export function parseModelSpec(input: unknown, where = 'model'): ModelSpec {
  const r = modelSpecSchema.safeParse(input);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  let path = where + issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
  if (issue.code === 'unrecognized_keys') path += `.${issue.keys[0]}`;
  throw new DistilleryError(
    'MODEL_SPEC',
    `${path}: ${issue.message}`,
    `see the block reference in src/models/spec.ts; block types: ${blockSpecSchema.options.map((o) => o.shape.type.value).join(', ')}`,
    path,
  );
}

/**
 * Fills the defaults of one block (see the table at the top of this file).
 *
 * @example
 * resolveBlock({ type: 'maxpool' }); // { type: 'maxpool', size: 2, stride: 2, padding: 'valid' }
 */
export function resolveBlock(b: BlockSpec): ResolvedBlockSpec {
  switch (b.type) {
    case 'conv2d':
    case 'sepconv': {
      const batchNorm = b.batchNorm ?? b.type === 'sepconv';
      return {
        type: b.type,
        filters: b.filters,
        kernel: b.kernel ?? 3,
        stride: b.stride ?? 1,
        padding: b.padding ?? 'same',
        activation: b.activation ?? 'relu',
        batchNorm,
        bias: b.bias ?? !batchNorm,
      } as ResolvedBlockSpec;
    }
    case 'mbconv':
      return {
        type: 'mbconv',
        filters: b.filters,
        expansion: b.expansion ?? 6,
        kernel: b.kernel ?? 3,
        stride: b.stride ?? 1,
        se: b.se ?? 0,
        activation: b.activation ?? 'relu6',
      };
    case 'maxpool':
    case 'avgpool': {
      const size = b.size ?? 2;
      return { type: b.type, size, stride: b.stride ?? size, padding: b.padding ?? 'valid' };
    }
    case 'dense':
      return { type: 'dense', units: b.units, activation: b.activation ?? 'linear', bias: b.bias ?? true, ...(b.maxNorm !== undefined ? { maxNorm: b.maxNorm } : {}) };
    default:
      return { ...b };
  }
}

/**
 * Completes a spec: validates it, settles the input shape, fills defaults and appends the
 * classifier head when `numClasses` is given and the last block is not dense.
 *
 * @example
 * resolveSpec({ blocks: [{ type: 'flatten' }] }, { inputShape: [28, 28, 1], numClasses: 10 }).blocks[1];
 * // { type: 'dense', units: 10, activation: 'linear', bias: true }
 */
export function resolveSpec(spec: ModelSpec, opts: ResolveOptions = {}, where = 'model'): ResolvedModelSpec {
  const parsed = parseModelSpec(spec, where);
  const input = resolveInput(parsed.input, opts.inputShape, where);
  const blocks = parsed.blocks.map(resolveBlock);
  if (opts.numClasses !== undefined) {
    const last = blocks[blocks.length - 1];
    if (last?.type === 'dense') {
      if (last.units !== opts.numClasses) {
        const path = `${where}.blocks[${blocks.length - 1}].units`;
        throw new DistilleryError(
          'MODEL_NUM_CLASSES',
          `${path} is ${last.units} but the data has ${opts.numClasses} classes`,
          `set ${path} to ${opts.numClasses}, or end the blocks without a dense layer so that distillery appends the head`,
          path,
        );
      }
    } else {
      blocks.push({ type: 'dense', units: opts.numClasses, activation: 'linear', bias: true });
    }
  }
  if (blocks.length === 0) {
    throw new DistilleryError('MODEL_EMPTY', `${where}.blocks is empty`, 'add at least one block, or pass numClasses so that a dense head is appended', `${where}.blocks`);
  }
  const out: ResolvedModelSpec = { input, blocks };
  if (parsed.name !== undefined) out.name = parsed.name;
  return out;
}

function resolveInput(fromSpec: number[] | undefined, fromData: readonly number[] | undefined, where: string): number[] {
  if (fromSpec && fromData && (fromSpec.length !== fromData.length || fromSpec.some((d, i) => d !== fromData[i]))) {
    throw new DistilleryError(
      'MODEL_INPUT_MISMATCH',
      `${where}.input is [${fromSpec.join(', ')}] but the data's samples are [${fromData.join(', ')}]`,
      `remove ${where}.input to take the shape from the data, or make them agree`,
      `${where}.input`,
    );
  }
  const shape = fromSpec ?? (fromData ? [...fromData] : undefined);
  if (!shape) {
    throw new DistilleryError('MODEL_INPUT_MISSING', `${where}.input is not set and no input shape was given`, `set ${where}.input, e.g. [28, 28, 1]`, `${where}.input`);
  }
  if (shape.length < 1 || shape.length > 3 || shape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new DistilleryError('MODEL_INPUT_SHAPE', `${where}.input [${shape.join(', ')}] is not a sample shape`, 'use [H, W, C] for images or [features] for vectors', `${where}.input`);
  }
  return shape;
}
