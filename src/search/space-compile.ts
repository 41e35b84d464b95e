import { z } from 'zod';
import { DistilleryError } from '../core/errors.ts';
import type { ParamValue } from './types.ts';

/**
 * Compiles a space definition (parsed YAML/JSON) into a flat, ordered list of dimensions and a
 * template tree that refers to them. Private to `search/`: users see {@link SearchSpace}.
 */

/** A condition under which a dimension is active: a repeat count reaches `min`, or a choice picked alternative `index`. */
export type Cond = { dim: string; min: number } | { dim: string; index: number };

/** One searchable dimension. Parents always come before their children in `dims`. */
export interface Dim {
  /** The parameter's name: its path in the space, e.g. `model.blocks[1].block[0].filters`. */
  name: string;
  kind: 'choice' | 'int' | 'float';
  /** choice: the options; a structured choice (options are objects) stores the index in candidates. */
  options: ParamValue[];
  structured: boolean;
  low: number;
  high: number;
  step: number;
  log: boolean;
  when: Cond[];
}

/** The template tree after compilation. */
export type TNode =
  | { k: 'lit'; v: unknown }
  | { k: 'obj'; path: string; entries: [string, TNode][] }
  | { k: 'arr'; path: string; items: TNode[] }
  | { k: 'param'; dim: string }
  | { k: 'alt'; dim: string; path: string; alts: TNode[] }
  | { k: 'repeat'; dim: string | undefined; count: number; path: string; copies: TNode[] }
  | { k: 'ref'; name: string };

const num = z.number().refine(Number.isFinite, 'must be a finite number');
const choiceSchema = z.strictObject({ choice: z.array(z.unknown()).min(1, 'a choice needs at least one option') });
const intSchema = z.strictObject({
  int: z.tuple([z.number().int(), z.number().int()]),
  step: z.number().int().min(1).optional(),
  log: z.boolean().optional(),
});
const floatSchema = z.strictObject({ float: z.tuple([num, num]), log: z.boolean().optional() });
const repeatSchema = z.strictObject({ repeat: z.unknown(), block: z.unknown() });

/** zod schema of a whole space definition (the value under the config key `space`). */
export const spaceSchema = z.strictObject({
  params: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a parameter name is a plain identifier'), z.unknown()).optional(),
  template: z.strictObject({ model: z.unknown().optional(), train: z.record(z.string(), z.unknown()).optional() }).optional(),
});
/** A space definition as a user writes it. */
export type SpaceDefinition = z.infer<typeof spaceSchema>;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const REF = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

function fail(code: string, where: string, message: string, hint: string): never {
  throw new DistilleryError(code, `${where}: ${message}`, hint, where);
}

function zodPath(where: string, e: z.ZodError): string {
  const issue = e.issues[0]!;
  let p = where + issue.path.map((s) => (typeof s === 'number' ? `[${s}]` : `.${String(s)}`)).join('');
  if (issue.code === 'unrecognized_keys') p += `.${issue.keys[0]}`;
  return p;
}

function parseWith<T>(schema: z.ZodType<T>, v: unknown, where: string): T {
  const r = schema.safeParse(v);
  if (r.success) return r.data;
  const p = zodPath(where, r.error);
  return fail('SPACE_SPEC', p, r.error.issues[0]!.message, 'a parameter is {choice: [...]}, {int: [low, high], step?, log?} or {float: [low, high], log?}');
}

/** The compiled space: dimensions in order and the template tree. */
export interface Compiled {
  dims: Dim[];
  named: Map<string, TNode>;
  template: { model?: TNode; train?: TNode };
}

/**
 * Compiles a definition; throws `SPACE_SPEC`/`SPACE_REF`/`SPACE_EMPTY` naming the key path.
 *
 * @example
 * compileSpace({ params: { lr: { float: [1e-4, 1e-1], log: true } } }).dims[0].name; // 'lr'
 */
export function compileSpace(input: unknown, where = 'space'): Compiled {
  const def = parseWith(spaceSchema, input, where);
  const dims: Dim[] = [];
  const names = new Set<string>();
  const named = new Map<string, TNode>();
  const refs: [string, string][] = [];

  const addDim = (d: Dim) => {
    if (names.has(d.name)) fail('SPACE_SPEC', d.name, 'two parameters have this name', 'rename one of them');
    names.add(d.name);
    dims.push(d);
  };

  const isParam = (v: unknown): v is Record<string, unknown> => isObj(v) && ('choice' in v || 'int' in v || 'float' in v);

  function param(v: Record<string, unknown>, path: string, when: Cond[]): TNode {
    const base = { name: path, options: [] as ParamValue[], structured: false, low: 0, high: 0, step: 0, log: false, when };
    if ('int' in v) {
      const p = parseWith(intSchema, v, path);
      const [low, high] = p.int;
      if (low > high) fail('SPACE_SPEC', `${path}.int`, `low ${low} is above high ${high}`, 'write [low, high]');
      if (p.log && low <= 0) fail('SPACE_SPEC', `${path}.int`, 'a log scale needs low > 0', 'raise low above 0 or drop log');
      if (p.log && p.step !== undefined && p.step !== 1) fail('SPACE_SPEC', `${path}.step`, 'a log scale takes no step', 'drop step or log');
      addDim({ ...base, kind: 'int', low, high, step: p.step ?? 1, log: p.log ?? false });
      return { k: 'param', dim: path };
    }
    if ('float' in v) {
      const p = parseWith(floatSchema, v, path);
      const [low, high] = p.float;
      if (!(low < high)) fail('SPACE_SPEC', `${path}.float`, `low ${low} is not below high ${high}`, 'write [low, high] with low < high, or use a choice for a constant');
      if (p.log && low <= 0) fail('SPACE_SPEC', `${path}.float`, 'a log scale needs low > 0', 'raise low above 0 or drop log');
      addDim({ ...base, kind: 'float', low, high, log: p.log ?? false });
      return { k: 'param', dim: path };
    }
    const p = parseWith(choiceSchema, v, path);
    const structured = p.choice.some((o) => typeof o === 'object' && o !== null);
    if (!structured) {
      const opts = p.choice as ParamValue[];
      opts.forEach((o, i) => {
        if (typeof o === 'string' && REF.test(o)) fail('SPACE_SPEC', `${path}.choice[${i}]`, 'a reference cannot be a choice option', 'put the options in the choice itself');
        if (opts.indexOf(o) !== i) fail('SPACE_SPEC', `${path}.choice[${i}]`, `option ${JSON.stringify(o)} appears twice`, 'list each option once');
      });
      addDim({ ...base, kind: 'choice', options: opts, low: 0, high: opts.length - 1, step: 1 });
      return { k: 'param', dim: path };
    }
    addDim({ ...base, kind: 'choice', options: p.choice.map((_, i) => i), structured: true, low: 0, high: p.choice.length - 1, step: 1 });
    const alts = p.choice.map((o, i) => node(o, `${path}@${i}`, [...when, { dim: path, index: i }]));
    return { k: 'alt', dim: path, path, alts };
  }

  function repeat(v: Record<string, unknown>, path: string, when: Cond[]): TNode {
    const r = parseWith(repeatSchema, v, path);
    let dim: string | undefined;
    let min: number;
    let max: number;
    if (typeof r.repeat === 'number') {
      if (!Number.isInteger(r.repeat) || r.repeat < 0) fail('SPACE_SPEC', `${path}.repeat`, 'must be a count (integer >= 0)', 'write a number or {int: [low, high]}');
      min = max = r.repeat;
    } else if (isParam(r.repeat)) {
      dim = `${path}.repeat`;
      param(r.repeat, dim, when);
      const d = dims[dims.length - 1]!;
      const counts = d.kind === 'choice' ? d.options : [d.low, d.high];
      if (d.structured || d.kind === 'float' || counts.some((c) => typeof c !== 'number' || !Number.isInteger(c) || c < 0)) {
        fail('SPACE_SPEC', dim, 'a repeat count must be an int parameter or a choice of counts', 'write {int: [1, 4]} or {choice: [1, 2, 3]}');
      }
      min = Math.min(...(counts as number[]));
      max = Math.max(...(counts as number[]));
    } else {
      return fail('SPACE_SPEC', `${path}.repeat`, 'must be a count or a parameter', 'write {repeat: {int: [1, 4]}, block: {...}}');
    }
    const copies: TNode[] = [];
    for (let i = 0; i < max; i++) {
      const w = dim !== undefined && i + 1 > min ? [...when, { dim, min: i + 1 }] : when;
      copies.push(node(r.block, `${path}.block[${i}]`, w));
    }
    return { k: 'repeat', dim, count: min, path, copies };
  }

  function node(v: unknown, path: string, when: Cond[]): TNode {
    if (typeof v === 'string') {
      const m = REF.exec(v);
      if (m) {
        refs.push([m[1]!, path]);
        return { k: 'ref', name: m[1]! };
      }
      return { k: 'lit', v };
    }
    if (Array.isArray(v)) return { k: 'arr', path, items: v.map((x, i) => node(x, `${path}[${i}]`, when)) };
    if (!isObj(v)) return { k: 'lit', v };
    if (isParam(v)) return param(v, path, when);
    if ('repeat' in v) return repeat(v, path, when);
    return { k: 'obj', path, entries: Object.entries(v).map(([key, x]) => [key, node(x, `${path}.${key}`, when)]) };
  }

  for (const [name, v] of Object.entries(def.params ?? {})) {
    if (!isParam(v)) fail('SPACE_SPEC', `${where}.params.${name}`, 'is not a parameter', 'write {choice: [...]}, {int: [low, high]} or {float: [low, high]}');
    named.set(name, param(v, name, []));
  }
  const template: Compiled['template'] = {};
  if (def.template?.model !== undefined) template.model = node(def.template.model, 'model', []);
  if (def.template?.train !== undefined) template.train = node(def.template.train, 'train', []);
  for (const [name, path] of refs) {
    if (!named.has(name)) {
      fail('SPACE_REF', path, `refers to \${${name}} but ${where}.params has no '${name}'`, `declare it under ${where}.params, known: ${[...named.keys()].join(', ') || '(none)'}`);
    }
  }
  if (dims.length === 0) {
    throw new DistilleryError('SPACE_EMPTY', `${where} has no parameters to search`, 'add {choice: [...]}, {int: [low, high]} or {float: [low, high]} under params or inside the template', where);
  }
  return { dims, named, template };
}
