import { costOfResolved, type ResolvedBlockSpec, type ResolvedModelSpec } from '../index.ts';

/** One block of a model at the input shape it gets there: the unit the latency table is keyed by. */
export interface BlockInstance {
  /** `type(k=v,...)@HxWxC`, e.g. `mbconv(activation=relu6,expansion=6,filters=16,kernel=3,se=0,stride=1)@14x14x8`. */
  key: string;
  block: ResolvedBlockSpec;
  inShape: number[];
  outShape: number[];
  macs: number;
  params: number;
}

/**
 * The table key of a block at an input shape: the block's resolved fields sorted by name, so
 * the same block written two ways (defaults spelled out or not) gets one key.
 *
 * @example
 * blockKey({ type: 'maxpool', size: 2, stride: 2, padding: 'valid' }, [28, 28, 8]);
 * // 'maxpool(padding=valid,size=2,stride=2)@28x28x8'
 */
export function blockKey(block: ResolvedBlockSpec, inShape: readonly number[]): string {
  const fields = Object.entries(block)
    .filter(([k]) => k !== 'type')
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${String(v)}`);
  return `${block.type}(${fields.join(',')})@${inShape.join('x')}`;
}

/**
 * Every block of a resolved spec with its input shape, output shape, MACs and params.
 *
 * @example
 * blockInstances(resolveSpec(spec, { inputShape: [28, 28, 1], numClasses: 10 })).map((b) => b.key);
 */
export function blockInstances(spec: ResolvedModelSpec): BlockInstance[] {
  const cost = costOfResolved(spec);
  let inShape = spec.input;
  return spec.blocks.map((block, i) => {
    const l = cost.layers[i]!;
    const out: BlockInstance = { key: blockKey(block, inShape), block, inShape, outShape: l.outputShape, macs: l.macs, params: l.params };
    inShape = l.outputShape;
    return out;
  });
}

/**
 * Features of a block for the per-kind linear fallback: MACs, activation elements moved
 * (input + output), parameters. Latency of small kernels is bound by memory traffic as much
 * as by arithmetic, hence the two.
 *
 * @example
 * features(b); // [macs, inElems + outElems, params]
 */
export function features(b: Pick<BlockInstance, 'macs' | 'inShape' | 'outShape' | 'params'>): [number, number, number] {
  const n = (s: readonly number[]): number => s.reduce((a, d) => a * d, 1);
  return [b.macs, n(b.inShape) + n(b.outShape), b.params];
}
