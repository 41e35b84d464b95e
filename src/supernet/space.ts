import { z } from 'zod';
import { DistilleryError } from '../core/errors.ts';
import type { Rng } from '../core/rng.ts';
import type { BlockSpec, ModelSpec } from '../models/index.ts';
import type { Candidate } from '../search/index.ts';

const pos = z.number().int().min(1);
const oddKernel = pos.refine((k) => k % 2 === 1, 'kernels are odd (a smaller kernel is the centre of a larger one)');
const list = <T extends z.ZodType>(t: T) => z.array(t).min(1);

/**
 * One stage of the elastic space: `filters` output channels, the first block's `stride`, and
 * the choices each of its blocks may take. Depth keeps the first `d` blocks (OFA's rule); every
 * block picks its own expansion (hidden width = input channels × expansion) and kernel.
 */
export const elasticStageSchema = z.strictObject({
  filters: pos,
  stride: pos.default(1),
  depth: list(pos),
  /** Expansion ratios (≥ 2: a ratio of 1 would drop the 1×1 expand conv, whose weights the others share). */
  expansion: list(z.number().int().min(2)),
  kernel: list(oddKernel),
});

/**
 * The elastic MobileNet-style space as data: a stem conv (+BN, activation), stages of inverted
 * residual (mbconv) blocks whose depth, expansion and kernel are elastic, then global average
 * pooling and the dense head (appended by the spec). Every subnet is a plain distillery spec.
 *
 * @example
 * elasticSpaceSchema.parse({ stem: { filters: 8 }, stages: [{ filters: 16, stride: 2, depth: [1, 2], expansion: [2, 4], kernel: [3, 5] }] });
 */
export const elasticSpaceSchema = z.strictObject({
  stem: z.strictObject({ filters: pos, kernel: oddKernel.default(3), stride: pos.default(2) }),
  stages: list(elasticStageSchema),
  activation: z.enum(['relu', 'relu6', 'hswish']).default('relu6'),
});

/** A validated elastic space. */
export type ElasticSpace = z.output<typeof elasticSpaceSchema>;
/** An elastic space as written. */
export type ElasticSpaceInput = z.input<typeof elasticSpaceSchema>;

/**
 * One subnet: per stage its depth, and per block (of the stage's deepest version) its expansion
 * and kernel. Blocks past a stage's depth are not in the subnet; their entries are ignored.
 */
export interface SubnetArch {
  depth: number[];
  expansion: number[][];
  kernel: number[][];
}

const maxOf = (xs: readonly number[]) => Math.max(...xs);
const minOf = (xs: readonly number[]) => Math.min(...xs);

function uniform(space: ElasticSpace, pick: (xs: readonly number[]) => number): SubnetArch {
  return {
    depth: space.stages.map((s) => pick(s.depth)),
    expansion: space.stages.map((s) => Array.from({ length: maxOf(s.depth) }, () => pick(s.expansion))),
    kernel: space.stages.map((s) => Array.from({ length: maxOf(s.depth) }, () => pick(s.kernel))),
  };
}

/** The largest subnet: deepest, widest, largest kernels (the supernet itself). */
export function largestArch(space: ElasticSpace): SubnetArch {
  return uniform(space, maxOf);
}

/** The smallest subnet: shallowest, narrowest, smallest kernels. */
export function smallestArch(space: ElasticSpace): SubnetArch {
  return uniform(space, minOf);
}

/** A subnet drawn uniformly, choice by choice, from `rng`. */
export function randomArch(space: ElasticSpace, rng: Rng): SubnetArch {
  return uniform(space, (xs) => xs[Math.floor(rng.next() * xs.length)]!);
}

/** Sizes of the shared weights: each block's input channels and largest hidden width. */
export interface BlockGeometry {
  /** Layer-name prefix, e.g. `s1b0`. */
  name: string;
  stage: number;
  index: number;
  cin: number;
  filters: number;
  stride: number;
  maxHidden: number;
  maxKernel: number;
  /** The kernel sizes below the largest, largest first (each has its own learned transform). */
  smallerKernels: number[];
}

/** The blocks of the deepest subnet with their weight sizes, stage by stage. */
export function blockGeometry(space: ElasticSpace): BlockGeometry[] {
  const out: BlockGeometry[] = [];
  let cin = space.stem.filters;
  space.stages.forEach((s, i) => {
    const kernels = [...new Set(s.kernel)].sort((a, b) => b - a);
    for (let j = 0; j < maxOf(s.depth); j++) {
      out.push({ name: `s${i}b${j}`, stage: i, index: j, cin, filters: s.filters, stride: j === 0 ? s.stride : 1, maxHidden: cin * maxOf(s.expansion), maxKernel: kernels[0]!, smallerKernels: kernels.slice(1) });
      cin = s.filters;
    }
  });
  return out;
}

/** Throws `SUPERNET_ARCH` unless every choice of `arch` is one the space offers. */
export function checkArch(space: ElasticSpace, arch: SubnetArch): void {
  const bad = (what: string, v: unknown, options: readonly number[]) =>
    new DistilleryError('SUPERNET_ARCH', `subnet: ${what} ${String(v)} is not one of the space's choices [${options.join(', ')}]`, 'pick each depth, expansion and kernel from the supernet space', what);
  space.stages.forEach((s, i) => {
    const d = arch.depth[i];
    if (d === undefined || !s.depth.includes(d)) throw bad(`stages[${i}].depth`, d, s.depth);
    for (let j = 0; j < d; j++) {
      if (!s.expansion.includes(arch.expansion[i]?.[j] ?? NaN)) throw bad(`stages[${i}].blocks[${j}].expansion`, arch.expansion[i]?.[j], s.expansion);
      if (!s.kernel.includes(arch.kernel[i]?.[j] ?? NaN)) throw bad(`stages[${i}].blocks[${j}].kernel`, arch.kernel[i]?.[j], s.kernel);
    }
  });
}

/**
 * The subnet as a plain distillery spec: conv2d stem (BN, activation), one mbconv per kept
 * block, global average pooling; the dense head follows from the class count. Its params, MACs
 * and bytes come from `modelCost` like any other spec's.
 *
 * @example
 * modelCost(subnetSpec(space, largestArch(space), [28, 28, 1]), [28, 28, 1], 10).macs;
 */
export function subnetSpec(space: ElasticSpace, arch: SubnetArch, input?: readonly number[]): ModelSpec {
  checkArch(space, arch);
  const blocks: BlockSpec[] = [{ type: 'conv2d', filters: space.stem.filters, kernel: space.stem.kernel, stride: space.stem.stride, batchNorm: true, activation: space.activation }];
  space.stages.forEach((s, i) => {
    for (let j = 0; j < arch.depth[i]!; j++) {
      blocks.push({ type: 'mbconv', filters: s.filters, expansion: arch.expansion[i]![j]!, kernel: arch.kernel[i]![j]!, stride: j === 0 ? s.stride : 1, se: 0, activation: space.activation });
    }
  });
  blocks.push({ type: 'globalavgpool' });
  return { ...(input ? { input: [...input] } : {}), blocks };
}

/** A short name of a subnet: depths, then each kept block's expansion and kernel, e.g. `d2,1 e4k5.e2k3|e6k3`. */
export function archName(arch: SubnetArch): string {
  const stages = arch.depth.map((d, i) => Array.from({ length: d }, (_, j) => `e${arch.expansion[i]![j]}k${arch.kernel[i]![j]}`).join('.'));
  return `d${arch.depth.join(',')} ${stages.join('|')}`;
}

/**
 * The subnet space as a search space definition: {@link templateSpace}, whose repeat counts
 * make the later blocks' choices conditional, so the strategies (random, evolution, TPE,
 * NSGA-II) never tell apart two candidates that are the same subnet, and a per-candidate
 * search over the same subnets uses the same parameter names.
 */
export function searchSpaceDefinition(space: ElasticSpace): ReturnType<typeof templateSpace> {
  return templateSpace(space);
}

/** Where each stage's blocks sit in {@link templateSpace}: its first block, and its repeat (if any). */
function templateLayout(space: ElasticSpace): { first: number; repeat: number | undefined }[] {
  let at = 1; // block 0 is the stem
  return space.stages.map((s) => {
    const first = at++;
    const repeat = s.depth.some((d) => d > 1) ? at++ : undefined;
    return { first, repeat };
  });
}

/** The subnet a search candidate of {@link searchSpaceDefinition} names (fixed choices filled in). */
export function archFromCandidate(space: ElasticSpace, c: Candidate): SubnetArch {
  const num = (k: string, only: readonly number[]) => (c[k] === undefined || c[k] === null ? only[0]! : Number(c[k]));
  const layout = templateLayout(space);
  const at = (i: number, j: number, what: 'expansion' | 'kernel') => {
    const { first, repeat } = layout[i]!;
    return j === 0 ? `model.blocks[${first}].${what}` : `model.blocks[${repeat}].block[${j - 1}].${what}`;
  };
  return {
    depth: space.stages.map((s, i) => {
      const r = layout[i]!.repeat;
      const later = [...new Set(s.depth.map((d) => d - 1))];
      return 1 + (r === undefined ? 0 : num(`model.blocks[${r}].repeat`, later));
    }),
    expansion: space.stages.map((s, i) => Array.from({ length: maxOf(s.depth) }, (_, j) => num(at(i, j, 'expansion'), s.expansion))),
    kernel: space.stages.map((s, i) => Array.from({ length: maxOf(s.depth) }, (_, j) => num(at(i, j, 'kernel'), s.kernel))),
  };
}

const choiceOrValue = (xs: readonly number[]): number | { choice: number[] } => (xs.length === 1 ? xs[0]! : { choice: [...xs] });

/**
 * The same subnets as an ordinary search space template (`space.template.model`): per stage its
 * first block, then `repeat` of the later ones (depth − 1 copies), each block with its own
 * expansion and kernel choices. It is what a per-candidate search trains from scratch (the
 * benchmark's other arm) and what `distillery profile-device --space` profiles a device's
 * blocks on, so a latency table covers every subnet.
 *
 * @example
 * new SearchSpace(templateSpace(space)); // the subnet space for `distillery search`
 */
export function templateSpace(space: ElasticSpace): { template: { model: { blocks: unknown[] } } } {
  const act = space.activation;
  const blocks: unknown[] = [{ type: 'conv2d', filters: space.stem.filters, kernel: space.stem.kernel, stride: space.stem.stride, batchNorm: true, activation: act }];
  for (const s of space.stages) {
    const block = (stride: number) => ({ type: 'mbconv', filters: s.filters, stride, expansion: choiceOrValue(s.expansion), kernel: choiceOrValue(s.kernel), se: 0, activation: act });
    blocks.push(block(s.stride));
    const later = [...new Set(s.depth.map((d) => d - 1))].sort((a, b) => a - b);
    if (later.some((d) => d > 0)) blocks.push({ repeat: choiceOrValue(later), block: block(1) });
  }
  blocks.push({ type: 'globalavgpool' });
  return { template: { model: { blocks } } };
}
