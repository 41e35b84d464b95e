import { z } from 'zod';
import { DistilleryError } from '../core/errors.ts';
import type { FrontEnd } from '../features/spec.ts';
import { blocks as blockRegistry, blockSchemas, type BlockSpec, type ResolvedBlockSpec } from './blocks/all.ts';
import { frontEndOf } from './blocks/frontend.ts';

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
 * - text blocks (embedding, conv1d, sepconv1d, seqpool, transformer): see docs/text.md ("Text models")
 *   and each block's file under ./blocks/
 *
 * A text model's input is `{ kind: 'tokens', length, vocabSize }` (see {@link tokenInputSchema}):
 * int32 ids [batch, length], id 0 = padding on the right; it resolves to `input: [length]`
 * and its first block is an `embedding` carrying `vocabSize`.
 *
 * A speech model's input is raw audio (see {@link AudioInput}): float32 `[batch, samples]`,
 * samples in [-1, 1) at the front-end's `sampleRate`; its first block is a front-end (`logmel`
 * or `mfcc`), which turns a clip into a one-channel image [frames, bins, 1] for the image
 * blocks after it. The exported ONNX model's first input is the same `[batch, samples]`.
 *
 * @example
 * const spec = parseModelSpec({ input: [28, 28, 1], blocks: [{ type: 'flatten' }, { type: 'dense', units: 10 }] });
 */

export { activationNames } from './blocks/shared.ts';
export type { ActivationName } from './blocks/shared.ts';
export type { BlockSpec, BlockType, ResolvedBlockSpec } from './blocks/all.ts';

const pos = z.number().int().min(1);

/** zod schema of one block: the union of every registered block kind's schema (./blocks/all.ts). */
export const blockSpecSchema = z.discriminatedUnion('type', blockSchemas);

/**
 * A text model's input as written: token ids of a fixed `length` (the tokenizer's `maxLength`;
 * padding id 0 on the right), from a vocabulary of `vocabSize` ids. Resolves to `input: [length]`
 * with `vocabSize` moved onto the first block, which must be an `embedding`.
 */
export const tokenInputSchema = z.strictObject({
  kind: z.literal('tokens'),
  /** Sequence length (the tokenizer's maxLength). */
  length: pos,
  /** Vocabulary size (ids 0..vocabSize-1); optional when the embedding block or the data gives it. */
  vocabSize: pos.optional(),
});
/** A text model's input as written (see {@link tokenInputSchema}). */
export type TokenInput = z.infer<typeof tokenInputSchema>;

/** zod schema of a whole model spec (the value under the config key `model`). */
export const modelSpecSchema = z.strictObject({
  name: z.string().min(1).optional(),
  /** One sample's shape: [H, W, C] for images, [features] for vectors, `{ kind: tokens, length, vocabSize }` or [length] for text. */
  input: z.union([z.array(pos).min(1).max(3), tokenInputSchema]).optional(),
  blocks: z.array(blockSpecSchema),
});

/** A model spec as written by a user. */
export type ModelSpec = z.infer<typeof modelSpecSchema>;
/**
 * A model spec with the input shape known, every default filled and the head appended. A text
 * model's `input` is `[length]` and its first block an `embedding` carrying `vocabSize`.
 */
export interface ResolvedModelSpec {
  name?: string;
  input: number[];
  blocks: ResolvedBlockSpec[];
}

/** Options that complete a spec: the data's sample shape and class count. */
export interface ResolveOptions {
  /** The data's sample shape; must agree with `spec.input` when both are given. */
  inputShape?: readonly number[];
  /** Vocabulary size of the data's tokenizer: fills a text model's `embedding.vocabSize` when the spec leaves it out. */
  vocabSize?: number;
  /** Sample rate of the data's audio: fills a `logmel`/`mfcc` block's `sampleRate` when the spec leaves it out, and must match it otherwise. */
  sampleRate?: number;
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
    `see the block reference in src/models/blocks/; block types: ${blockRegistry.names().join(', ')}`,
    path,
  );
}

/**
 * Fills the defaults of one block (see the table at the top of this file).
 *
 * @example
 * resolveBlock({ type: 'maxpool' }); // { type: 'maxpool', size: 2, stride: 2, padding: 'valid' }
 */
export function resolveBlock(b: BlockSpec, ctx: { vocabSize?: number; where?: string } = {}): ResolvedBlockSpec {
  return blockRegistry.get(b.type, ctx.where).resolve(b as never, { ...ctx, where: ctx.where ?? 'model.blocks' });
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
  const tokens = parsed.input !== undefined && !Array.isArray(parsed.input) ? parsed.input : undefined;
  const input = resolveInput(tokens ? [tokens.length] : parsed.input as number[] | undefined, opts.inputShape, where);
  const vocabSize = tokens?.vocabSize ?? opts.vocabSize;
  const blocks = parsed.blocks.map((b, i) => resolveBlock(b, { where: `${where}.blocks[${i}]`, ...(vocabSize !== undefined ? { vocabSize } : {}), ...(opts.sampleRate !== undefined ? { sampleRate: opts.sampleRate } : {}) }));
  blocks.forEach((b, i) => {
    if (i > 0 && blockRegistry.get(b.type).takesTokens) {
      const path = `${where}.blocks[${i}]`;
      throw new DistilleryError('MODEL_SHAPE', `${path} (${b.type}) reads token ids, so it must be the first block`, `move ${path} to the start of ${where}.blocks`, path);
    }
  });
  if (tokens && (blocks.length === 0 || !blockRegistry.get(blocks[0]!.type).takesTokens)) {
    const path = `${where}.blocks[0]`;
    throw new DistilleryError('MODEL_SHAPE', `${where}.input is token ids but ${path} is not an embedding`, `start ${where}.blocks with { type: embedding, dim: 64 }`, path);
  }
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
    throw new DistilleryError('MODEL_INPUT_SHAPE', `${where}.input [${shape.join(', ')}] is not a sample shape`, 'use [H, W, C] for images, [features] for vectors or { kind: tokens, length: N } for text', `${where}.input`);
  }
  return shape;
}

/**
 * The sample shape a written spec's `input` gives (`[length]` for token input), or undefined when absent.
 *
 * @example
 * specInputShape({ input: { kind: 'tokens', length: 64 }, blocks: [] }); // [64]
 */
export function specInputShape(spec: ModelSpec): number[] | undefined {
  const i = spec.input;
  return i === undefined ? undefined : Array.isArray(i) ? [...i] : [i.length];
}

/**
 * The contract of a speech model (one whose first block is `logmel` or `mfcc`), what a caller
 * needs to feed it and what its saved metadata (`distillery.audio` in model.json's
 * user-defined metadata, and the ONNX export's `metadata_props`) names:
 *
 * - the input is raw audio, float32 `[batch, samples]` (mono, samples in [-1, 1) as the data
 *   reader scales PCM: 16-bit divided by 32768), at `sampleRate`, each clip `samples` long
 *   (zero-padded at the end or cut, as the audio data source does);
 * - `frontEnd` is the resolved front-end (window, hop, FFT size, mel bins, fmin/fmax, log
 *   offset, mel scale and norm, `mfcc` when MFCCs are kept) computed inside the model.
 *
 * No normalisation is applied outside the model (audio data is read with `normalize: none`).
 */
export interface AudioInput {
  sampleRate: number;
  /** Samples per clip (the model's input length). */
  samples: number;
  features: 'logmel' | 'mfcc';
  frontEnd: FrontEnd;
}

/**
 * The {@link AudioInput} of a resolved spec, or undefined when the model does not take audio.
 *
 * @example
 * audioInputOf(resolveSpec({ blocks: [{ type: 'logmel' }] }, { inputShape: [16000] })); // { sampleRate: 16000, samples: 16000, ... }
 */
export function audioInputOf(spec: ResolvedModelSpec): AudioInput | undefined {
  const b = spec.blocks[0];
  if (!b || (b.type !== 'logmel' && b.type !== 'mfcc')) return undefined;
  const frontEnd = frontEndOf(b);
  return { sampleRate: frontEnd.sampleRate, samples: spec.input[0]!, features: b.type, frontEnd };
}
