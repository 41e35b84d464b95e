import { blocks } from './blocks/all.ts';
import { costOfResolved } from './cost.ts';
import { resolveSpec, type ModelSpec, type ResolvedBlockSpec } from './spec.ts';

/** One row of {@link describeModel}: a block, what it outputs and what it costs. */
export interface BlockRow {
  /** Config path, e.g. `model.blocks[2]`. */
  path: string;
  /** Layer-name prefix in the built model, e.g. `b2`. */
  name: string;
  /** Short human form, e.g. `mbconv 24 k3 s2 x6 se0.25 relu6`. */
  block: string;
  outputShape: number[];
  params: number;
  macs: number;
}

/**
 * A readable list of blocks with output shape, params and MACs per sample (for CLI tables),
 * from the spec alone. The last row is the total.
 *
 * @example
 * for (const r of describeModel(spec, [28, 28, 1], 10)) console.log(r.block, r.outputShape, r.params);
 */
export function describeModel(spec: ModelSpec, inputShape?: readonly number[], numClasses?: number): BlockRow[] {
  const opts: { inputShape?: readonly number[]; numClasses?: number } = {};
  if (inputShape !== undefined) opts.inputShape = inputShape;
  if (numClasses !== undefined) opts.numClasses = numClasses;
  const resolved = resolveSpec(spec, opts);
  const cost = costOfResolved(resolved);
  const rows: BlockRow[] = cost.layers.map((l, i) => ({
    path: l.path,
    name: l.name,
    block: blockSummary(resolved.blocks[i]!),
    outputShape: l.outputShape,
    params: l.params,
    macs: l.macs,
  }));
  rows.push({ path: 'model', name: '', block: 'total', outputShape: cost.outputShape, params: cost.params, macs: cost.macs });
  return rows;
}

/**
 * One block as a short string.
 *
 * @example
 * blockSummary(resolveBlock({ type: 'conv2d', filters: 32, batchNorm: true })); // 'conv2d 32 k3 s1 same relu bn nobias'
 */
export function blockSummary(b: ResolvedBlockSpec): string {
  return blocks.get(b.type).describe(b as never);
}

/**
 * {@link describeModel}'s rows as an aligned plain-text table.
 *
 * @example
 * console.log(formatDescription(describeModel(spec, [28, 28, 1], 10)));
 */
export function formatDescription(rows: readonly BlockRow[]): string {
  const cells = [['block', '', 'output', 'params', 'MACs'], ...rows.map((r) => [r.name, r.block, r.outputShape.join('x'), r.params.toLocaleString('en-US'), r.macs.toLocaleString('en-US')])];
  const widths = cells[0]!.map((_, j) => Math.max(...cells.map((c) => c[j]!.length)));
  return cells.map((c) => c.map((v, j) => (j >= 3 ? v.padStart(widths[j]!) : v.padEnd(widths[j]!))).join('  ').trimEnd()).join('\n');
}
