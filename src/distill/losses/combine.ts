import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { DistilleryError } from '../../core/errors.ts';
import { deriveSeed } from '../../core/rng.ts';
import { formatPath } from '../../config/load.ts';
import type { LossContext, LossTerm } from '../types.ts';
import { expandLayerTerms, type TransformerLayers } from './layer-map.ts';
import { lossTerms } from './registry.ts';

/** One element of a `loss:` list: the term's name, its weight, and its own options, flat. */
export interface LossConfig {
  term: string;
  weight: number;
  [option: string]: unknown;
}

const headSchema = z.object({ term: z.string().min(1), weight: z.number().min(0).default(1) }).loose();

function optionKeys(schema: unknown): string[] {
  const shape = (schema as { shape?: Record<string, unknown> }).shape;
  return shape ? Object.keys(shape) : [];
}

/**
 * The `loss:` section: a non-empty list of `{ term, weight = 1, ...options }`, each checked by
 * its term's own schema (unknown keys are errors). Problems carry their path, e.g.
 * `loss[1].T: expected number`, `loss[0].term: unknown loss 'kdd'; known: ce, kd, ...`.
 * The output has every default filled in and can be parsed again unchanged.
 *
 * @example
 * const loss = validateConfig(z.object({ loss: lossConfigSchema }), { loss: [{ term: 'ce', weight: 0.1 }, { term: 'kd', weight: 0.9, T: 20 }] }).loss;
 */
export const lossConfigSchema = z
  .array(z.unknown())
  .min(1, 'give at least one loss term, e.g. [{ term: ce }]')
  .transform((list, ctx): LossConfig[] => {
    const out: LossConfig[] = [];
    list.forEach((raw, i) => {
      const head = headSchema.safeParse(raw);
      if (!head.success) {
        for (const issue of head.error.issues) ctx.addIssue({ code: 'custom', path: [i, ...issue.path], message: issue.message });
        return;
      }
      const { term, weight, ...rest } = head.data;
      if (!lossTerms.has(term)) {
        ctx.addIssue({ code: 'custom', path: [i, 'term'], message: `unknown loss '${term}'; known: ${lossTerms.names().join(', ')}` });
        return;
      }
      const schema = lossTerms.get(term).schema;
      const r = schema.safeParse(rest);
      if (r.success) {
        out.push({ ...(r.data as Record<string, unknown>), term, weight });
        return;
      }
      for (const issue of r.error.issues) {
        if (issue.code === 'unrecognized_keys') {
          const known = ['term', 'weight', ...optionKeys(schema)].join(', ');
          for (const key of issue.keys) {
            ctx.addIssue({ code: 'custom', path: [i, ...issue.path, key], message: `unknown option '${key}' of loss '${term}'; known: ${known}` });
          }
        } else {
          ctx.addIssue({ code: 'custom', path: [i, ...issue.path], message: issue.message });
        }
      }
    });
    return out;
  });

/** A configured term inside a {@link Loss}, with its weight and a label unique in the list. */
export interface WeightedTerm {
  /** The term's name, suffixed `#2`, `#3`... when the same term appears again. */
  readonly label: string;
  readonly weight: number;
  readonly term: LossTerm;
}

/** A weighted sum of loss terms, built by {@link createLoss}. */
export interface Loss {
  readonly terms: readonly WeightedTerm[];
  /** Whether any term needs teacher logits or teacher features. */
  readonly needsTeacher: boolean;
  /**
   * True when a term asks for `layers: uniform` and no {@link TransformerLayers} were given to
   * expand it: such a loss only answers what the run needs (an online teacher) and cannot train.
   */
  readonly mapsLayers: boolean;
  /** Feature names the terms want: student layers and teacher outputs, each listed once. */
  readonly features: { readonly student: readonly string[]; readonly teacher: readonly string[] };
  /**
   * Trainable variables the terms own (FitNets adapters), for the trainer to train with the
   * student. An adapter built lazily appears here after the first `compute`.
   */
  readonly variables: readonly tf.Variable[];
  /** The weighted sum, inside the gradient tape. */
  compute(ctx: LossContext): tf.Scalar;
  /** The weighted sum and each term's unweighted value by label (for logging; the caller disposes them). */
  computeParts(ctx: LossContext): { total: tf.Scalar; parts: Record<string, tf.Scalar> };
  dispose(): void;
}

function configError(where: string, issue: z.core.$ZodIssue): DistilleryError {
  const path = formatPath([where, ...issue.path]);
  return new DistilleryError('CONFIG_INVALID', `${path}: ${issue.message.replace(/^Invalid input: /, '')}`,
    issue.message.startsWith('unknown') ? `use one of the names listed` : 'fix the value at that key', path);
}

/**
 * Builds the weighted sum of loss terms from a `loss:` list (raw or already validated by
 * {@link lossConfigSchema}). An unknown term throws `UNKNOWN_LOSS`, a bad option
 * `CONFIG_INVALID`, both naming the path under `where` (e.g. `loss[1].T`). Terms with a
 * `seed` option (hint's adapter) that leave it out get one derived from `opts.seed` and their
 * position, so `--seed` makes adapters repeatable. Terms with `layers: uniform` become one term
 * per mapped layer pair of `opts.layers` (see `expandLayerTerms`); without it they are left out
 * and {@link Loss.mapsLayers} says so.
 *
 * @example
 * const loss = createLoss([{ term: 'ce', weight: 0.1 }, { term: 'kd', weight: 0.9, T: 20 }]);
 * const value = loss.compute({ studentLogits, teacherLogits, labels });
 * loss.dispose();
 */
export function createLoss(configs: readonly unknown[], where = 'loss', opts: { seed?: number; layers?: TransformerLayers | undefined } = {}): Loss {
  // An unknown name gets the registry's own error (UNKNOWN_LOSS); the schema reports the rest.
  if (Array.isArray(configs)) {
    configs.forEach((c, i) => {
      const term = (c as { term?: unknown } | null)?.term;
      if (typeof term === 'string' && !lossTerms.has(term)) lossTerms.get(term, `${where}[${i}].term`);
    });
  }
  const r = lossConfigSchema.safeParse(configs);
  if (!r.success) throw configError(where, r.error.issues[0]);
  const seen = new Map<string, number>();
  const mapsLayers = !opts.layers && r.data.some((c) => c['layers'] === 'uniform');
  const list = opts.layers ? expandLayerTerms(r.data, opts.layers) : r.data.filter((c) => c['layers'] !== 'uniform');
  const terms: WeightedTerm[] = list.map((cfg, i) => {
    const { term: name, weight, ...options } = cfg;
    if (optionKeys(lossTerms.get(name).schema).includes('seed') && options['seed'] === undefined) options['seed'] = deriveSeed(opts.seed ?? 0, i, 0x4c4f53);
    const count = (seen.get(name) ?? 0) + 1;
    seen.set(name, count);
    return { label: count === 1 ? name : `${name}#${count}`, weight, term: lossTerms.get(name).create(options) };
  });
  const unique = (side: 'student' | 'teacher') => [...new Set(terms.flatMap((t) => (t.term.features ? [t.term.features[side]] : [])))];
  const computeParts = (ctx: LossContext) => {
    const parts: Record<string, tf.Scalar> = {};
    const total = tf.tidy(() => {
      let sum: tf.Scalar = tf.scalar(0);
      for (const { label, weight, term } of terms) {
        if (weight === 0) continue;
        const v = term.compute(ctx);
        parts[label] = tf.keep(v);
        sum = tf.add(sum, tf.mul(v, weight));
      }
      return sum;
    });
    return { total, parts };
  };
  return {
    terms,
    needsTeacher: mapsLayers || terms.some((t) => t.term.needsTeacher),
    mapsLayers,
    features: { student: unique('student'), teacher: unique('teacher') },
    get variables() {
      return terms.flatMap((t) => t.term.variables ?? []);
    },
    compute(ctx) {
      return tf.tidy(() => {
        let sum: tf.Scalar = tf.scalar(0);
        for (const { weight, term } of terms) if (weight !== 0) sum = tf.add(sum, tf.mul(term.compute(ctx), weight));
        return sum;
      });
    },
    computeParts,
    dispose() {
      for (const t of terms) t.term.dispose?.();
    },
  };
}
