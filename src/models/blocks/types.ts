import type * as tfl from '@tensorflow/tfjs-layers';
import type { z } from 'zod';
import type { Inits, Sym } from '../layers.ts';

/** What one block costs and outputs, per sample (see `BlockCost` in ../cost.ts for the meaning of each field). */
export interface BlockStep {
  /** Output shape of one sample. */
  out: number[];
  params: number;
  macs: number;
  /** Of `params`, the kernel weights (the values int8 stores in one byte). */
  kernel: number;
}

/** What a block's `build` gets besides its input. */
export interface BuildContext {
  /** Layer-name prefix of the block, `b<i>`: every layer of the block is named `b<i>_<role>`. */
  prefix: string;
  inits: Inits;
  /** The model's input: the token ids of a text model (blocks that mask padding read `ids != 0` from it). */
  modelInput: Sym;
}

/** What a block's `cost` gets besides its input shape. */
export interface CostContext {
  /** The model's token length when it takes token ids: blocks that apply the padding mask need their sequence to be that long. */
  tokenLength?: number;
}

/** What a block's `resolve` gets besides the block. */
export interface ResolveContext {
  /** Vocabulary size known from the spec's token input or the data's tokenizer (filled into `embedding`). */
  vocabSize?: number;
  /** Sample rate the data's audio is resampled to (filled into a front-end block that leaves it out; one that names another is refused). */
  sampleRate?: number;
  /** Config path of the block, e.g. `model.blocks[0]`, for errors. */
  where: string;
}

/** A TF.js layer of a built model. */
export type Layer = tfl.LayersModel['layers'][number];

/**
 * The layers of one block in a built model, by role (`b3_dw` has role `dw`): what
 * `readback` reconstructs the block from. `get` throws `MODEL_NOT_DISTILLERY` when the role is missing.
 */
export interface LayerGroup {
  has(role: string): boolean;
  get(role: string): Layer;
  opt(role: string): Layer | undefined;
  roles(): string[];
}

/**
 * One block kind: its spec schema and everything distillery does with it. A new block is one
 * file that exports a `BlockDef` plus one line in ./all.ts.
 *
 * @example
 * export const flatten = defineBlock({ type: 'flatten', schema: z.strictObject({ type: z.literal('flatten') }), ... });
 */
export interface BlockDef<S extends z.ZodObject = z.ZodObject, R extends { type: string } = { type: string }> {
  type: R['type'];
  /** zod schema of the block as a user writes it (a strict object with `type: z.literal(type)`). */
  schema: S;
  /** Fills the defaults (absent optional options get their documented values). */
  resolve(b: z.infer<S>, ctx: ResolveContext): R;
  /** Output shape, params, MACs from the input shape; throws `MODEL_SHAPE` naming `path` when the block cannot take the input. */
  cost(b: R, input: number[], path: string, ctx: CostContext): BlockStep;
  /** Adds the block's layers (named `<prefix>_<role>`) after `x`; returns the block's output. */
  build(x: Sym, b: R, ctx: BuildContext): Sym;
  /** Short human form for tables, e.g. `conv2d 32 k3 s1 same relu`. */
  describe(b: R): string;
  /**
   * The block back from its layers, or undefined when the group is not this kind. Blocks are
   * tried in registration order (./all.ts), so a kind whose roles are a superset of another's
   * comes first (mbconv before sepconv before conv2d before batchnorm).
   */
  readback(g: LayerGroup): R | undefined;
  /** Whether the block reads token ids (int32) rather than floats: only as the first block. */
  takesTokens?: boolean;
}

/**
 * Identity helper that keeps a block definition's schema and resolved types for inference.
 *
 * @example
 * export const dropout = defineBlock({ type: 'dropout', schema, resolve: (b) => ({ ...b }), ... });
 */
export function defineBlock<S extends z.ZodObject, R extends { type: string }>(def: BlockDef<S, R>): BlockDef<S, R> {
  return def;
}

type Filled<T> = { [K in keyof T]-?: Exclude<T[K], undefined> };
/**
 * A written block with every default filled: optional options become required, except those
 * named in `NoDefault` (absent means off, e.g. dense's `maxNorm`), which stay optional.
 */
export type Resolved<T, NoDefault extends string = never> = Filled<Omit<T, NoDefault>> & { [K in Extract<keyof T, NoDefault>]?: Exclude<T[K], undefined> };
