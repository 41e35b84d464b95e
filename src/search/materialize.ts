import { DistilleryError, isDistilleryError } from '../core/errors.ts';
import { modelCost, type ModelCost } from '../models/cost.ts';
import { parseModelSpec, specInputShape, type ModelSpec } from '../models/spec.ts';
import type { TNode } from './space-compile.ts';
import type { SearchSpace } from './space.ts';
import type { Candidate } from './types.ts';

/** What a candidate turns into: a model spec (when the space has a model template) and training overrides. */
export interface Materialized {
  model?: ModelSpec;
  train: Record<string, unknown>;
  /** The model's costs when the input shape is known (from the spec or the options). */
  cost?: ModelCost;
}

/** The data's shape and class count, to check the model's shapes and cost it. */
export interface MaterializeOptions {
  inputShape?: readonly number[];
  numClasses?: number;
  /** The data tokenizer's vocabulary size: fills a token input that leaves `vocabSize` out. */
  vocabSize?: number;
}

/**
 * Turns a candidate into a model spec and training settings. The candidate is validated first;
 * a model that fails the spec's schema or its shape checks is rejected with
 * `SEARCH_INVALID_CANDIDATE` whose `where` is the space path of the choice that produced the
 * offending block (e.g. `model.blocks[1].block[2]`), and whose message lists that block's choices.
 *
 * @example
 * const { model, train } = materialize(space, c, { inputShape: [28, 28, 1], numClasses: 10 });
 */
export function materialize(space: SearchSpace, c: Candidate, opts: MaterializeOptions = {}): Materialized {
  space.validate(c);
  const { named, template } = space.compiled;
  const sources = new Map<string, string[]>();

  const value = (n: TNode): unknown => {
    switch (n.k) {
      case 'lit':
        return structuredClone(n.v);
      case 'param':
        return c[n.dim];
      case 'ref':
        return value(named.get(n.name)!);
      case 'alt':
        return value(n.alts[space.toIndex(space.dim(n.dim), c[n.dim]!)]!);
      case 'obj':
        return Object.fromEntries(n.entries.map(([k, v]) => [k, value(v)]));
      case 'repeat': {
        // a repeat used as a whole list (blocks: {repeat: ..., block: ...})
        const out = items(n);
        sources.set(n.path, out.map((x) => x[1]));
        return out.map((x) => x[0]);
      }
      case 'arr': {
        const out: [unknown, string][] = [];
        n.items.forEach((it, i) => (it.k === 'repeat' ? out.push(...items(it)) : out.push([value(it), `${n.path}[${i}]`])));
        sources.set(n.path, out.map((x) => x[1]));
        return out.map((x) => x[0]);
      }
    }
  };
  // A repeat's copies, flattened when a copy is itself a list of blocks, each with its source path.
  const items = (n: Extract<TNode, { k: 'repeat' }>): [unknown, string][] => {
    const count = n.dim === undefined ? n.count : (c[n.dim] as number);
    const out: [unknown, string][] = [];
    for (let i = 0; i < count; i++) {
      const v = value(n.copies[i]!);
      const src = `${n.path}.block[${i}]`;
      if (Array.isArray(v)) v.forEach((x, j) => out.push([x, `${src}[${j}]`]));
      else out.push([v, src]);
    }
    return out;
  };

  const out: Materialized = { train: template.train ? (value(template.train) as Record<string, unknown>) : {} };
  if (!template.model) return out;
  const raw = value(template.model);
  // a text template may leave the vocabulary to the data's tokenizer, as resolveSpec does
  const input = (raw as { input?: unknown }).input;
  if (opts.vocabSize !== undefined && typeof input === 'object' && input !== null && !Array.isArray(input) && (input as Record<string, unknown>)['vocabSize'] === undefined) {
    (input as Record<string, unknown>)['vocabSize'] = opts.vocabSize;
  }
  try {
    const model = parseModelSpec(raw);
    out.model = model;
    const input = opts.inputShape ?? specInputShape(model);
    if (input) out.cost = modelCost(model, input, opts.numClasses);
    return out;
  } catch (e) {
    if (!isDistilleryError(e) || e.where === undefined) throw e;
    throw reject(space, c, e, sources.get('model.blocks') ?? []);
  }
}

function reject(space: SearchSpace, c: Candidate, e: DistilleryError, blockSources: string[]): DistilleryError {
  const m = /^model\.blocks\[(\d+)\](.*)$/.exec(e.where!);
  let where = e.where!;
  if (m && blockSources[Number(m[1])] !== undefined) where = blockSources[Number(m[1])]! + m[2]!;
  // The choices that shaped the offending block: parameters under its source path (and their parents' options).
  const base = where.replace(/\.[A-Za-z_]+$/, '');
  const related = Object.keys(c).filter((k) => k === where || k === base || k.startsWith(`${base}.`) || k.startsWith(`${base}@`));
  const owner = space.dims.find((d) => d.name === where || related.includes(d.name));
  const choices = related.map((k) => `${k}=${JSON.stringify(c[k])}`).join(', ');
  return new DistilleryError(
    'SEARCH_INVALID_CANDIDATE',
    `${where}: the candidate's model is invalid: ${e.message}${choices ? ` (choices: ${choices})` : ''}`,
    owner ? `narrow the options of ${owner.name} so that every combination gives a valid model, or let the search record this candidate as infeasible` : (e.hint ?? 'fix the template'),
    where,
  );
}
