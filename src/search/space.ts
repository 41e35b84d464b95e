import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { DistilleryError } from '../core/errors.ts';
import type { Rng } from '../core/rng.ts';
import { compileSpace, type Compiled, type Dim } from './space-compile.ts';
import type { Candidate, ParamValue } from './types.ts';

export type { Dim } from './space-compile.ts';

/**
 * A search space as data. Parameters are written inline where they act, or named under
 * `params` and referenced as `"${name}"`:
 * - `{choice: [a, b, ...]}`: categorical; options that are objects make a structural choice whose
 *   nested parameters are active only when their option is picked;
 * - `{int: [low, high], step?, log?}` and `{float: [low, high], log?}`;
 * - `{repeat: <count or int parameter>, block: <block or list of blocks>}` inside a list: that many
 *   copies, each with its own parameters (copy i is active when the count exceeds i).
 *
 * A parameter's name is its path: `model.blocks[1].block[0].filters`, `train.lr`, or its name
 * under `params`; nested parameters of option k of a choice at P live under `P@k`.
 *
 * @example
 * const space = new SearchSpace({
 *   params: { act: { choice: ['relu', 'hswish'] } },
 *   template: {
 *     model: { input: [28, 28, 1], blocks: [
 *       { type: 'conv2d', filters: { choice: [8, 16] }, stride: 2 },
 *       { repeat: { int: [1, 3] }, block: { type: 'mbconv', filters: 16, expansion: { choice: [3, 6] }, activation: '${act}' } },
 *       { type: 'globalavgpool' } ] },
 *     train: { lr: { float: [1e-3, 1e-1], log: true } },
 *   },
 * });
 * const c = space.sample(new Rng(1));
 */
export class SearchSpace {
  /** Every dimension, parents before children. */
  readonly dims: readonly Dim[];
  /** @internal */
  readonly compiled: Compiled;
  private readonly byName: Map<string, number>;
  private readonly sorted: readonly Dim[];

  constructor(definition: unknown, where = 'space') {
    this.compiled = compileSpace(definition, where);
    this.dims = this.compiled.dims;
    this.byName = new Map(this.dims.map((d, i) => [d.name, i]));
    this.sorted = [...this.dims].sort((p, q) => (p.name < q.name ? -1 : p.name > q.name ? 1 : 0));
  }

  /**
   * Reads a space from a YAML or JSON file (a top-level `space:` key is also accepted).
   *
   * @example
   * const space = SearchSpace.fromFile('examples/spaces/mnist-mbconv.yaml');
   */
  static fromFile(file: string): SearchSpace {
    let doc: unknown;
    try {
      doc = parseYaml(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new DistilleryError('SPACE_FILE', `${file}: ${(e as Error).message}`, 'pass a readable YAML or JSON file with params and/or template');
    }
    const body = typeof doc === 'object' && doc !== null && 'space' in doc ? (doc as { space: unknown }).space : doc;
    return new SearchSpace(body, `${file}: space`);
  }

  /** The dimension named `name`; throws `SPACE_UNKNOWN_PARAM` when there is none. */
  dim(name: string): Dim {
    const i = this.byName.get(name);
    if (i === undefined) throw new DistilleryError('SPACE_UNKNOWN_PARAM', `${name}: not a parameter of the space`, `known: ${this.dims.map((d) => d.name).slice(0, 12).join(', ')}${this.dims.length > 12 ? ', ...' : ''}`, name);
    return this.dims[i]!;
  }

  /** Index of a dimension in {@link dims} (and in {@link encode}'s vector). */
  indexOf(name: string): number {
    this.dim(name);
    return this.byName.get(name)!;
  }

  /** Whether `d` is active given the values decided so far. */
  isActive(d: Dim, c: Candidate): boolean {
    if (d.when.length === 0) return true;
    for (const w of d.when) {
      const v = c[w.dim];
      if (v === undefined) return false;
      if ('min' in w) {
        if ((v as number) < w.min) return false;
      } else if (this.toIndex(this.dims[this.byName.get(w.dim)!]!, v) !== w.index) return false;
    }
    return true;
  }

  /** The option index of a choice value (-1 when not an option). */
  toIndex(d: Dim, v: ParamValue): number {
    return d.structured ? (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < d.options.length ? v : -1) : d.options.indexOf(v);
  }

  /** Whether `v` is a legal value of `d`. */
  inRange(d: Dim, v: ParamValue | undefined): boolean {
    if (v === undefined) return false;
    if (d.kind === 'choice') return this.toIndex(d, v) >= 0;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < d.low || v > d.high) return false;
    if (d.kind === 'int') return Number.isInteger(v) && (d.log || (v - d.low) % d.step === 0);
    return true;
  }

  /**
   * Draws a value of one dimension uniformly (log-uniformly on a log scale).
   *
   * @example
   * space.sampleDim(space.dim('train.lr'), rng);
   */
  sampleDim(d: Dim, rng: Rng): ParamValue {
    if (d.kind === 'choice') return d.options[Math.floor(rng.next() * d.options.length)]!;
    if (d.kind === 'float') {
      const v = d.log ? Math.exp(Math.log(d.low) + rng.next() * (Math.log(d.high) - Math.log(d.low))) : d.low + rng.next() * (d.high - d.low);
      return Math.min(d.high, Math.max(d.low, v)); // exp(log(x)) may land an ulp outside
    }
    if (d.log) return this.clampDim(d, Math.exp(Math.log(d.low - 0.5) + rng.next() * (Math.log(d.high + 0.5) - Math.log(d.low - 0.5))));
    return d.low + d.step * rng.int(0, Math.floor((d.high - d.low) / d.step));
  }

  /** Rounds and clips a number to the nearest legal value of a numeric dimension (a choice: nearest index). */
  clampDim(d: Dim, x: number): ParamValue {
    if (d.kind === 'choice') return d.options[Math.min(d.options.length - 1, Math.max(0, Math.round(x)))]!;
    const v = Math.min(d.high, Math.max(d.low, x));
    if (d.kind === 'float') return v;
    if (d.log) return Math.min(d.high, Math.max(d.low, Math.round(v)));
    return Math.min(d.low + d.step * Math.floor((d.high - d.low) / d.step), d.low + d.step * Math.round((v - d.low) / d.step));
  }

  /**
   * Completes a partial candidate in dimension order: keeps each active, legal value, draws the
   * missing active ones and drops inactive ones. Every operation below ends with it.
   *
   * @example
   * space.complete({ 'model.blocks[1].repeat': 3 }, rng); // copies 0..2 drawn
   */
  complete(partial: Candidate, rng: Rng): Candidate {
    const out: Candidate = {};
    for (const d of this.dims) {
      if (!this.isActive(d, out)) continue;
      const v = partial[d.name];
      out[d.name] = this.inRange(d, v) ? v! : this.sampleDim(d, rng);
    }
    return out;
  }

  /**
   * A uniformly drawn candidate.
   *
   * @example
   * const c = space.sample(new Rng(7));
   */
  sample(rng: Rng): Candidate {
    return this.complete({}, rng);
  }

  /**
   * Each active parameter is redrawn (to a different value where it has one) with probability
   * `rate`; at least one always changes. Without `rate`, exactly one changes (as in regularized evolution).
   *
   * @example
   * const child = space.mutate(parent, rng, 0.2);
   */
  mutate(c: Candidate, rng: Rng, rate?: number): Candidate {
    const active = this.dims.filter((d) => c[d.name] !== undefined && this.isActive(d, c));
    const movable = active.filter((d) => d.kind === 'float' || (d.kind === 'choice' ? d.options.length > 1 : d.high > d.low));
    if (movable.length === 0) return { ...c };
    const p = rate ?? 0;
    const out: Candidate = { ...c };
    const forced = movable[Math.floor(rng.next() * movable.length)]!;
    for (const d of movable) {
      if (d !== forced && !(rng.next() < p)) continue;
      let v = this.sampleDim(d, rng);
      for (let t = 0; t < 32 && v === c[d.name]; t++) v = this.sampleDim(d, rng);
      out[d.name] = v;
    }
    return this.complete(out, rng);
  }

  /**
   * Uniform crossover: each parameter from `a` or `b` with equal odds, then completed.
   *
   * @example
   * const child = space.crossover(mother, father, rng);
   */
  crossover(a: Candidate, b: Candidate, rng: Rng): Candidate {
    const out: Candidate = {};
    for (const d of this.dims) {
      const pick = rng.next() < 0.5 ? a[d.name] : b[d.name];
      const v = pick ?? a[d.name] ?? b[d.name];
      if (v !== undefined) out[d.name] = v;
    }
    return this.complete(out, rng);
  }

  /**
   * One number per dimension: a choice's option index, an int's or float's value; NaN when inactive.
   *
   * @example
   * space.encode(c); // [1, 3, NaN, 0.01]
   */
  encode(c: Candidate): number[] {
    return this.dims.map((d) => {
      const v = c[d.name];
      if (v === undefined) return NaN;
      return d.kind === 'choice' ? this.toIndex(d, v) : (v as number);
    });
  }

  /**
   * The candidate of a vector (values rounded and clipped; an active NaN takes the low end or the first option).
   *
   * @example
   * space.decode(space.encode(c)); // deep-equals c
   */
  decode(x: readonly number[]): Candidate {
    const out: Candidate = {};
    this.dims.forEach((d, i) => {
      if (!this.isActive(d, out)) return;
      const v = x[i];
      out[d.name] = this.clampDim(d, v === undefined || Number.isNaN(v) ? d.low : v);
    });
    return out;
  }

  /**
   * A stable string for a candidate (its active parameters, sorted by name): for dedup and grids.
   *
   * @example
   * space.key({ b: 1, a: 'x' }) === space.key({ a: 'x', b: 1 }); // true
   */
  key(c: Candidate): string {
    let out = '';
    for (const d of this.sorted) {
      const v = c[d.name];
      if (v !== undefined && this.isActive(d, c)) out += `${out ? ',' : ''}${JSON.stringify(d.name)}:${JSON.stringify(v)}`;
    }
    return `{${out}}`;
  }

  /**
   * Checks a candidate against the space: unknown names, missing or out-of-range values.
   * Throws `SPACE_VALUE` naming the parameter.
   *
   * @example
   * space.validate({ 'train.lr': 5 }); // SPACE_VALUE: train.lr: 5 is outside [0.001, 0.1]
   */
  validate(c: Candidate): void {
    for (const name of Object.keys(c)) {
      if (!this.byName.has(name)) throw new DistilleryError('SPACE_VALUE', `${name}: not a parameter of the space`, 'remove it, or check its spelling against the space', name);
    }
    const seen: Candidate = {};
    for (const d of this.dims) {
      if (!this.isActive(d, seen)) continue;
      const v = c[d.name];
      if (!this.inRange(d, v)) {
        const range = d.kind === 'choice' ? `one of ${JSON.stringify(d.options)}` : `${d.kind === 'int' ? 'an integer ' : ''}in [${d.low}, ${d.high}]${d.kind === 'int' && d.step > 1 ? ` by ${d.step}` : ''}`;
        throw new DistilleryError('SPACE_VALUE', `${d.name}: ${v === undefined ? 'missing' : `${JSON.stringify(v)} is not ${range}`}`, `give ${d.name} a value ${range}`, d.name);
      }
      seen[d.name] = v!;
    }
  }

  /**
   * Every candidate of a discrete space in a fixed order; floats take `floatPoints` evenly spaced
   * values (log-spaced on a log scale). Throws `SPACE_GRID_TOO_LARGE` past `limit` candidates.
   *
   * @example
   * space.grid().length; // 15625 for NAS-Bench-201
   */
  grid(floatPoints = 5, limit = 1_000_000): Candidate[] {
    const levels = this.dims.map((d) => gridLevels(d, floatPoints));
    const out: Candidate[] = [];
    const walk = (i: number, c: Candidate) => {
      if (i === this.dims.length) {
        if (out.length >= limit) {
          throw new DistilleryError('SPACE_GRID_TOO_LARGE', `the space has more than ${limit} grid points`, 'use random, tpe, evolution or nsga2, or narrow the space');
        }
        out.push({ ...c });
        return;
      }
      const d = this.dims[i]!;
      if (!this.isActive(d, c)) return walk(i + 1, c);
      for (const v of levels[i]!) {
        c[d.name] = v;
        walk(i + 1, c);
      }
      delete c[d.name];
    };
    walk(0, {});
    return out;
  }
}

function gridLevels(d: Dim, floatPoints: number): ParamValue[] {
  if (d.kind === 'choice') return d.options;
  if (d.kind === 'int' && !d.log) {
    const out: number[] = [];
    for (let v = d.low; v <= d.high; v += d.step) out.push(v);
    return out;
  }
  const n = d.kind === 'int' ? Math.min(floatPoints, d.high - d.low + 1) : floatPoints;
  const vals = Array.from({ length: n }, (_, i) => {
    const t = n === 1 ? 0 : i / (n - 1);
    const v = d.log ? Math.exp(Math.log(d.low) + t * (Math.log(d.high) - Math.log(d.low))) : d.low + t * (d.high - d.low);
    return i === n - 1 ? d.high : i === 0 ? d.low : v;
  });
  return d.kind === 'int' ? [...new Set(vals.map((v) => Math.round(v)))] : vals;
}
