import type { z } from 'zod';
import { Registry } from '../../core/registry.ts';
import { conv1d, sepconv1d } from './conv1d.ts';
import { conv2d } from './conv2d.ts';
import { dense } from './dense.ts';
import { embedding } from './embedding.ts';
import { logmel, mfcc } from './frontend.ts';
import { mbconv } from './mbconv.ts';
import { sepconv } from './sepconv.ts';
import { seqpool } from './seqpool.ts';
import { activationBlock, avgpool, batchnorm, dropout, flatten, globalavgpool, maxpool } from './simple.ts';
import { transformer } from './transformer.ts';
import type { BlockDef } from './types.ts';

/**
 * Every block kind, in readback order (a kind whose layer roles include another's comes first).
 * Adding a block: write its file (a `defineBlock({...})`) and add it here; the spec schema, the
 * types, build, cost, describe and readback all follow from this list.
 */
export const blockDefs = [
  mbconv, sepconv, conv2d, dense, maxpool, avgpool, globalavgpool, flatten, dropout,
  embedding, conv1d, sepconv1d, seqpool, transformer,
  logmel, mfcc,
  batchnorm, activationBlock,
] as const;

type Defs = typeof blockDefs;
type SchemaOf<D> = D extends { schema: infer S } ? S : never;
type ResolvedOf<D> = D extends { resolve(...a: never[]): infer R } ? R : never;
type AnySchema = SchemaOf<Defs[number]>;

/** The block schemas as a non-empty tuple, for `z.discriminatedUnion('type', ...)`. */
export const blockSchemas = blockDefs.map((d) => d.schema) as unknown as [AnySchema, ...AnySchema[]];

/** One block as written by a user (optional fields may be absent). */
export type BlockSpec = z.infer<SchemaOf<Defs[number]>>;
/** A block with every default filled in. */
export type ResolvedBlockSpec = ResolvedOf<Defs[number]>;
/** Block type names, e.g. `'mbconv'`. */
export type BlockType = ResolvedBlockSpec['type'];

/**
 * The block registry: each kind by its `type` name. `blocks.get('lstm')` throws
 * `UNKNOWN_BLOCK` listing the known kinds.
 *
 * @example
 * blocks.get('conv2d').describe(blocks.get('conv2d').resolve({ type: 'conv2d', filters: 8 }, { where: 'model.blocks[0]' }));
 */
export const blocks = new Registry<BlockDef<z.ZodObject, ResolvedBlockSpec>>('block');
for (const d of blockDefs) blocks.register(d.type, d as unknown as BlockDef<z.ZodObject, ResolvedBlockSpec>);
