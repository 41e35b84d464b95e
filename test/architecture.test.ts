import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

// The house's layer rule (docs/architecture.md), checked on the real import graph of src/: every
// import (static, `export … from`, dynamic `import('…')`, `import type`) of a file that is not a
// test may name its own folder or a folder on a LOWER line of this table, never a folder on its
// own line or above. A new folder is one new line (or a name added to a line); a folder under
// src/ that is missing from the table fails the test until it is placed.
const LAYERS: readonly (readonly string[])[] = [
  ['core'], // errors, registry, RNG, events, fs
  ['config'], // schemas, YAML loading, overrides
  ['engine', 'runtime'], // TF.js backends and kernels; onnxruntime sessions
  ['tokenizers', 'features'], // front-ends: text to ids (tokenizer.json), audio to log-mel features
  ['data'], // samples in: sources, Dataset, split, batch, normalise, augment
  ['models'], // spec -> model and back, cost, latency arithmetic (models/latency)
  ['train', 'onnx', 'search'], // the trainer; ONNX conversion in memory; spaces, strategies, pareto
  ['distill', 'store'], // losses and teachers; the SQLite study store and its summaries
  ['evaluate'], // one candidate -> metrics
  ['study', 'deploy', 'dashboard'], // the search loop and its executors; export, bench, report; the read-only dashboard: none imports another
  ['supernet'], // once-for-all: trains with distill/, searches with the study/ loop
  ['jobs'], // train, distill and quickstart as jobs
  ['compare'], // a job over jobs
  ['cli'], // wires everything
];

const SRC = resolve(import.meta.dirname, '../src');

/** Every .ts file under `dir` that is not a test. */
function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts') && !/\.test(-util)?\.ts$/.test(name)) out.push(p);
  }
  return out;
}

/** `code` with comments blanked (string and template contents kept), so TSDoc examples are not imports. */
export function stripComments(code: string): string {
  let out = '';
  for (let i = 0; i < code.length; ) {
    const c = code[i]!;
    if (c === '/' && code[i + 1] === '/') {
      while (i < code.length && code[i] !== '\n') i++;
    } else if (c === '/' && code[i + 1] === '*') {
      const end = code.indexOf('*/', i + 2);
      i = end < 0 ? code.length : end + 2;
      out += ' ';
    } else if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      while (j < code.length && code[j] !== c) j += code[j] === '\\' ? 2 : 1;
      out += code.slice(i, j + 1);
      i = j + 1;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** The module specifiers a TypeScript file imports: static, re-exports, side-effect and dynamic (literal ones). */
export function importsOf(code: string): string[] {
  const c = stripComments(code);
  const specs: string[] = [];
  const patterns = [
    /\b(?:import|export)\s+(?:type\s+)?[^'"`;]*?\bfrom\s*(['"])([^'"]+)\1/g, // import … from '…', export … from '…'
    /\bimport\s*(['"])([^'"]+)\1/g, // import '…'
    /\bimport\s*\(\s*(['"`])([^'"`]+)\1\s*[,)]/g, // import('…'), typeof import('…')
  ];
  for (const re of patterns) for (const m of c.matchAll(re)) specs.push(m[2]!);
  return specs;
}

/** The src/ file a relative specifier of `from` names, or undefined for a package. */
function target(from: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const p = resolve(dirname(from), spec);
  for (const cand of [p, `${p}.ts`, join(p, 'index.ts')]) if (existsSync(cand) && statSync(cand).isFile()) return cand;
  return p; // unresolved: still placed by its folder
}

/** The top folder under src/ of a file (`''` for src/index.ts). */
function folderOf(file: string): string {
  const parts = relative(SRC, file).split(sep);
  return parts.length > 1 ? parts[0]! : '';
}

function rankOf(folder: string): number | undefined {
  if (folder === '') return LAYERS.length; // src/index.ts, the package's face, sits above everything
  const i = LAYERS.findIndex((line) => line.includes(folder));
  return i < 0 ? undefined : i;
}

/** The import graph of src/ (non-test files), file -> files. */
export function importGraph(files: readonly string[]): Map<string, string[]> {
  const g = new Map<string, string[]>();
  for (const f of files) {
    const deps = importsOf(readFileSync(f, 'utf8'))
      .map((s) => target(f, s))
      .filter((t): t is string => t !== undefined && t.startsWith(SRC + sep));
    g.set(f, [...new Set(deps)]);
  }
  return g;
}

/** Upward or sideways imports between folders, one line each. */
export function layerViolations(g: ReadonlyMap<string, readonly string[]>): string[] {
  const bad: string[] = [];
  for (const [file, deps] of g) {
    const from = folderOf(file);
    const rf = rankOf(from);
    for (const dep of deps) {
      const to = folderOf(dep);
      if (to === from) continue;
      const rt = rankOf(to);
      if (rt === undefined) bad.push(`src/${to}/ (imported by ${relative(SRC, file)}) is not in the layer table of test/architecture.test.ts: add it to a line`);
      else if (rf !== undefined && rt >= rf) bad.push(`${relative(SRC, file)} imports ${relative(SRC, dep)}: ${from}/ may not import ${to}/ (${rt === rf ? 'same layer' : 'a higher layer'})`);
    }
  }
  return bad;
}

/** Every import circle between files (strongly connected components of more than one file, or a file importing itself). */
export function circles(g: ReadonlyMap<string, readonly string[]>): string[][] {
  // Tarjan's algorithm, iterative so deep chains cannot overflow the stack.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const out: string[][] = [];
  let next = 0;
  for (const root of g.keys()) {
    if (index.has(root)) continue;
    const work: [string, number][] = [[root, 0]];
    while (work.length > 0) {
      const top = work[work.length - 1]!;
      const [v, i] = top;
      if (i === 0) {
        index.set(v, next);
        low.set(v, next++);
        stack.push(v);
        onStack.add(v);
      }
      const deps = g.get(v) ?? [];
      if (i < deps.length) {
        top[1]++;
        const w = deps[i]!;
        if (!g.has(w)) continue;
        if (!index.has(w)) work.push([w, 0]);
        else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const u = work[work.length - 1]![0];
        low.set(u, Math.min(low.get(u)!, low.get(v)!));
      }
      if (low.get(v) === index.get(v)) {
        const comp: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          comp.push(w);
        } while (w !== v);
        if (comp.length > 1 || deps.includes(v)) out.push(comp.map((f) => relative(SRC, f)).sort());
      }
    }
  }
  return out;
}

test('import parsing: static, type, re-export, side-effect and dynamic imports; comments are not imports', () => {
  const code = [
    "import { a } from '../a.ts';",
    "import type { B } from './b.ts';",
    "export { c } from '../c/index.ts';",
    "export * as d from './d.ts';",
    "import './e.ts';",
    "const f = await import('../f.ts');",
    "type G = typeof import('./g.ts');",
    "import {\n  h,\n  i,\n} from './hi.ts';",
    "// import { x } from './commented.ts';",
    "/** @example import { y } from './doc.ts'; */",
    "const url = 'http://host/path'; // a string with // is not a comment: import './after-url.ts' is",
  ].join('\n');
  assert.deepEqual(importsOf(code).sort(), ['../a.ts', '../c/index.ts', '../f.ts', './b.ts', './d.ts', './e.ts', './g.ts', './hi.ts'].sort());
});

test('the checks catch an upward import, a sideways one, an unknown folder and a circle', () => {
  const f = (p: string) => join(SRC, p);
  const g = new Map<string, string[]>([
    [f('evaluate/latency.ts'), [f('deploy/onnx/index.ts')]], // upward
    [f('train/fit.ts'), [f('search/index.ts')]], // sideways: same layer
    [f('models/spec.ts'), [f('newfolder/x.ts')]], // not in the table
    [f('deploy/a.ts'), [f('deploy/b.ts'), f('models/spec.ts')]],
    [f('deploy/b.ts'), [f('deploy/a.ts')]], // a circle of two files
    [f('study/loop.ts'), [f('evaluate/latency.ts'), f('core/errors.ts')]], // fine: downward
  ]);
  const bad = layerViolations(g);
  assert.equal(bad.length, 3, bad.join('\n'));
  assert.match(bad[0]!, /evaluate\/ may not import deploy\/ \(a higher layer\)/);
  assert.match(bad[1]!, /train\/ may not import search\/ \(same layer\)/);
  assert.match(bad[2]!, /src\/newfolder\/ .* is not in the layer table/);
  assert.deepEqual(circles(g), [['deploy/a.ts', 'deploy/b.ts']]);
});

/** Folders under src/ that the layer table does not place. */
function unplaced(): string[] {
  return readdirSync(SRC)
    .filter((n) => statSync(join(SRC, n)).isDirectory() && rankOf(n) === undefined)
    .map((n) => `src/${n}/ is not in the layer table of test/architecture.test.ts: add it to a line`);
}

test('src/ keeps its layers: every folder placed, none imports a folder on its own line or above (docs/architecture.md)', () => {
  const bad = [...unplaced(), ...layerViolations(importGraph(sources(SRC)))];
  assert.deepEqual(bad, [], `upward or sideways imports:\n${bad.join('\n')}`);
});

test('src/ has no import circle between files', () => {
  const found = circles(importGraph(sources(SRC)));
  assert.deepEqual(found, [], `import circles:\n${found.map((c) => c.join(' <-> ')).join('\n')}`);
});
