import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { DistilleryError, isDistilleryError } from '../../core/errors.ts';
import { Rng } from '../../core/rng.ts';
import { resolveSpec, specInputShape, type BlockSpec, type ModelSpec, type ResolvedModelSpec } from '../../models/index.ts';
import { materialize, SearchSpace } from '../../search/index.ts';

/** Options that complete specs drawn from a space or a list. */
export interface SpecSourceOptions {
  /** The data's sample shape when the specs have no `input`; default [28, 28, 1]. */
  inputShape?: readonly number[];
  /** Appends the classifier head; default 10. */
  numClasses?: number;
  seed?: number;
}

function complete(spec: ModelSpec, opts: SpecSourceOptions, where: string): ResolvedModelSpec {
  return resolveSpec(spec, { inputShape: specInputShape(spec) ?? opts.inputShape ?? [28, 28, 1], numClasses: opts.numClasses ?? 10 }, where);
}

/**
 * Up to `count` distinct model specs sampled from a search space (candidates whose model is
 * invalid are skipped, as a search would record them infeasible).
 *
 * @example
 * const specs = specsFromSpace(SearchSpace.fromFile('examples/spaces/mnist-mobile.yaml'), 200);
 */
export function specsFromSpace(space: SearchSpace, count: number, opts: SpecSourceOptions = {}): ResolvedModelSpec[] {
  const rng = new Rng(opts.seed ?? 1);
  const seen = new Set<string>();
  const out: ResolvedModelSpec[] = [];
  // Small spaces run out of new models: stop after enough draws in a row bring nothing new.
  for (let tries = 0; out.length < count && tries < 20 * count; tries++) {
    let model: ModelSpec | undefined;
    try {
      model = materialize(space, space.sample(rng)).model;
    } catch (e) {
      if (isDistilleryError(e) && e.code === 'SEARCH_INVALID_CANDIDATE') continue;
      throw e;
    }
    if (!model) {
      throw new DistilleryError('PREDICT_SPACE', 'the space has no model template (template.model)', 'profile a space whose template has a model, or pass a list of model specs');
    }
    const spec = complete(model, opts, 'space model');
    const key = JSON.stringify(spec);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(spec);
  }
  return out;
}

/**
 * The specs of a SPACE argument: a search-space file (YAML/JSON with `template.model`, or under
 * a top-level `space:`) sampled `samples` times, or a list of model specs (a YAML/JSON array, or
 * `{ models: [...] }`). Throws `PREDICT_SPACE` naming the file otherwise.
 *
 * @example
 * readSpecSource('examples/spaces/mnist-mobile.yaml', { samples: 200 }).length; // <= 200
 * readSpecSource('models.json'); // [{ input: [28, 28, 1], blocks: [...] }, ...]
 */
export function readSpecSource(file: string, opts: SpecSourceOptions & { samples?: number } = {}): ResolvedModelSpec[] {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new DistilleryError('PREDICT_SPACE', `${file}: cannot read (${(e as Error).message.split('\n')[0]})`, 'pass a search-space file or a YAML/JSON list of model specs', file);
  }
  const obj = doc as Record<string, unknown> | null;
  const list = Array.isArray(doc) ? doc : Array.isArray(obj?.['models']) ? (obj['models'] as unknown[]) : undefined;
  if (list) return list.map((s, i) => complete(s as ModelSpec, opts, `${file}: models[${i}]`));
  if (obj && (obj['space'] !== undefined || obj['template'] !== undefined)) {
    return specsFromSpace(SearchSpace.fromFile(file), opts.samples ?? 200, opts);
  }
  throw new DistilleryError('PREDICT_SPACE', `${file}: neither a search space (template.model) nor a list of model specs`, 'pass e.g. examples/spaces/mnist-mobile.yaml, or a JSON array of specs', file);
}

const ACTS = ['relu', 'relu6', 'hswish', 'swish'] as const;

/**
 * `count` random MobileNet-style specs over every block kind (conv2d, sepconv, mbconv with its
 * kernel/expansion/stride/SE/activation variants, pools, batchnorm, dense heads) for a
 * [28, 28, 1] input: the model set the predictor is checked on.
 *
 * @example
 * randomSpecs(24, 7).length; // 24
 */
export function randomSpecs(count: number, seed: number, opts: SpecSourceOptions = {}): ResolvedModelSpec[] {
  const rng = new Rng(seed);
  const pick = <T>(a: readonly T[]): T => a[rng.int(0, a.length - 1)]!;
  const out: ResolvedModelSpec[] = [];
  while (out.length < count) {
    let hw = 28;
    const blocks: BlockSpec[] = [];
    const act = pick(ACTS);
    const stem = pick([1, 2]);
    blocks.push({ type: 'conv2d', filters: pick([8, 16, 24]), kernel: pick([3, 5]), stride: stem, batchNorm: pick([true, false]), activation: act });
    hw = Math.ceil(hw / stem);
    const n = rng.int(1, 5);
    for (let i = 0; i < n; i++) {
      const stride = hw >= 8 ? pick([1, 2]) : 1;
      const kind = pick(['mbconv', 'mbconv', 'sepconv', 'conv2d', 'pool', 'batchnorm'] as const);
      const filters = pick([8, 16, 24, 32, 48]);
      if (kind === 'mbconv') blocks.push({ type: 'mbconv', filters, expansion: pick([1, 2, 4, 6]), kernel: pick([3, 5]), stride, se: pick([0, 0.25]), activation: act });
      else if (kind === 'sepconv') blocks.push({ type: 'sepconv', filters, kernel: pick([3, 5]), stride, activation: act });
      else if (kind === 'conv2d') blocks.push({ type: 'conv2d', filters, kernel: pick([1, 3]), stride, batchNorm: true, activation: act });
      else if (kind === 'pool' && hw >= 4) blocks.push({ type: pick(['maxpool', 'avgpool'] as const) });
      else blocks.push({ type: 'batchnorm' });
      hw = kind === 'pool' && hw >= 4 ? Math.floor(hw / 2) : Math.ceil(hw / stride);
    }
    if (pick([true, false])) blocks.push({ type: 'globalavgpool' });
    else blocks.push({ type: 'flatten' }, { type: 'dense', units: pick([32, 64]), activation: 'relu' }, { type: 'dense', units: opts.numClasses ?? 10 });
    out.push(complete({ input: [...(opts.inputShape ?? [28, 28, 1])], blocks }, opts, `random model ${out.length}`));
  }
  return out;
}

/**
 * `count` random MLP specs (the second space the predictor is checked on): a flatten, 1–4
 * dense layers of 16–1024 units with varied activations, an optional batchnorm or dropout, and
 * the classifier head, for a [28, 28, 1] input.
 *
 * @example
 * randomMlpSpecs(24, 7)[0].blocks[0].type; // 'flatten'
 */
export function randomMlpSpecs(count: number, seed: number, opts: SpecSourceOptions = {}): ResolvedModelSpec[] {
  const rng = new Rng(seed);
  const pick = <T>(a: readonly T[]): T => a[rng.int(0, a.length - 1)]!;
  const out: ResolvedModelSpec[] = [];
  while (out.length < count) {
    const blocks: BlockSpec[] = [{ type: 'flatten' }];
    const depth = rng.int(1, 4);
    for (let i = 0; i < depth; i++) {
      blocks.push({ type: 'dense', units: pick([16, 32, 64, 128, 256, 512, 1024]), activation: pick(['relu', 'relu6', 'sigmoid', 'tanh', 'swish', 'hswish'] as const) });
      const extra = pick(['none', 'none', 'batchnorm', 'dropout'] as const);
      if (extra === 'batchnorm') blocks.push({ type: 'batchnorm' });
      else if (extra === 'dropout') blocks.push({ type: 'dropout', rate: 0.2 });
    }
    blocks.push({ type: 'dense', units: opts.numClasses ?? 10 });
    out.push(complete({ input: [...(opts.inputShape ?? [28, 28, 1])], blocks }, opts, `random MLP ${out.length}`));
  }
  return out;
}
