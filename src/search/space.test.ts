import test from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { isDistilleryError } from '../core/errors.ts';
import { Rng } from '../core/rng.ts';
import { materialize } from './materialize.ts';
import { SearchSpace } from './space.ts';

const examples = join(import.meta.dirname, '../../examples/spaces');

/** Runs f and returns the DistilleryError it throws (failing when it does not). */
function error(f: () => unknown): { code: string; where: string | undefined; message: string } {
  try {
    f();
  } catch (e) {
    if (isDistilleryError(e)) return e;
    throw e;
  }
  assert.fail('expected a DistilleryError');
}

const mobile = () => SearchSpace.fromFile(join(examples, 'mnist-mobile.yaml'));

test('an empty space and bad parameters are rejected with their path', () => {
  assert.equal(error(() => new SearchSpace({})).code, 'SPACE_EMPTY');
  assert.equal(error(() => new SearchSpace({ template: { model: { blocks: [{ type: 'flatten' }] } } })).code, 'SPACE_EMPTY');
  let e = error(() => new SearchSpace({ template: { model: { blocks: [{ type: 'conv2d', filters: { int: [8, 4] } }] } } }));
  assert.equal(e.where, 'model.blocks[0].filters.int');
  e = error(() => new SearchSpace({ template: { train: { lr: { float: [0, 1], log: true } } } }));
  assert.equal(e.where, 'train.lr.float');
  e = error(() => new SearchSpace({ template: { train: { lr: { float: [0.1, 1], lg: true } } } }));
  assert.equal(e.where, 'train.lr.lg');
  e = error(() => new SearchSpace({ params: { a: { choice: [1, 1] } } }));
  assert.equal(e.where, 'a.choice[1]');
  e = error(() => new SearchSpace({ params: { a: { choice: [1, 2] } }, template: { model: { blocks: [{ type: 'dense', units: '${b}' }] } } }));
  assert.equal(e.code, 'SPACE_REF');
  assert.equal(e.where, 'model.blocks[0].units');
  e = error(() => new SearchSpace({ params: { a: { choice: [1] } }, extra: 1 }));
  assert.equal(e.where, 'space.extra');
  e = error(() => new SearchSpace({ template: { model: { blocks: [{ repeat: { float: [1, 3] }, block: { type: 'flatten' } }] } } }));
  assert.equal(e.where, 'model.blocks[0].repeat');
});

test('conditional parameters: repeat copies and structural choices are active only when picked', () => {
  const s = mobile();
  const rng = new Rng(5);
  for (let i = 0; i < 200; i++) {
    const c = s.sample(rng);
    s.validate(c);
    const n = c['model.blocks[1].repeat'] as number;
    for (let k = 0; k < 3; k++) assert.equal(`model.blocks[1].block[${k}]` in c, k < n);
    for (let k = 0; k < n; k++) {
      const alt = c[`model.blocks[1].block[${k}]`];
      assert.equal(`model.blocks[1].block[${k}]@0.expansion` in c, alt === 0);
      assert.equal(`model.blocks[1].block[${k}]@1.kernel` in c, alt === 1);
    }
    const { model, train, cost } = materialize(s, c, { numClasses: 10 });
    assert.equal(model!.blocks.length, 2 + n);
    assert.ok(cost!.macs > 0);
    assert.equal(train.lr, c['train.lr']);
    // the shared activation reaches every block
    assert.ok(model!.blocks.every((b) => !('activation' in b) || b.activation === c.act));
  }
});

test('sample, mutate, crossover stay in the space; encode/decode and key round-trip', () => {
  const s = mobile();
  const rng = new Rng(9);
  const a = s.sample(rng);
  const b = s.sample(rng);
  for (let i = 0; i < 100; i++) {
    const m = s.mutate(a, rng);
    s.validate(m);
    assert.notEqual(s.key(m), s.key(a));
    s.validate(s.crossover(a, b, rng));
    s.validate(s.mutate(b, rng, 0.5));
  }
  assert.deepEqual(s.decode(s.encode(a)), a);
  const reordered = Object.fromEntries(Object.entries(a).reverse());
  assert.equal(s.key(reordered), s.key(a));
  assert.equal(s.encode(a).length, s.dims.length);
  // an int with a step and a log float stay on their grids
  const t = new SearchSpace({ params: { e: { int: [2, 8], step: 3 }, lr: { float: [1e-4, 1e-1], log: true } } });
  for (let i = 0; i < 100; i++) {
    const c = t.sample(rng);
    assert.ok([2, 5, 8].includes(c.e as number));
    assert.ok((c.lr as number) >= 1e-4 && (c.lr as number) <= 1e-1);
  }
  assert.deepEqual(t.grid(3).map((c) => c.e), [2, 2, 2, 5, 5, 5, 8, 8, 8]);
  assert.deepEqual(t.grid(3).slice(0, 3).map((c) => Number((c.lr as number).toPrecision(6))), [1e-4, 0.00316228, 0.1]);
});

test('validate names the offending value', () => {
  const s = mobile();
  const c = s.sample(new Rng(1));
  let e = error(() => s.validate({ ...c, 'train.lr': 5 }));
  assert.equal(e.code, 'SPACE_VALUE');
  assert.equal(e.where, 'train.lr');
  e = error(() => s.validate({ ...c, act: 'gelu' }));
  assert.equal(e.where, 'act');
  e = error(() => s.validate({ ...c, 'model.blocks[9].filters': 3 }));
  assert.equal(e.where, 'model.blocks[9].filters');
});

test("an invalid model is rejected with the path of the choice that made the offending block", () => {
  // 6x6 -> 4x4 -> 2x2 with valid 3x3 kernels: the third copy's 3x3 kernel cannot fit 2x2
  const s = new SearchSpace({
    template: {
      model: {
        input: [6, 6, 1],
        blocks: [
          { type: 'conv2d', filters: 4 },
          { repeat: { int: [1, 3] }, block: { type: 'conv2d', filters: 4, kernel: { choice: [1, 3] }, padding: 'valid' } },
          { type: 'flatten' },
        ],
      },
    },
  });
  const c = { 'model.blocks[1].repeat': 3, 'model.blocks[1].block[0].kernel': 3, 'model.blocks[1].block[1].kernel': 3, 'model.blocks[1].block[2].kernel': 3 };
  const e = error(() => materialize(s, c, { numClasses: 10 }));
  assert.equal(e.code, 'SEARCH_INVALID_CANDIDATE');
  assert.equal(e.where, 'model.blocks[1].block[2]');
  assert.match(e.message, /model\.blocks\[1\]\.block\[2\]\.kernel=3/);
  // with kernel 1 on the last copy it fits
  materialize(s, { ...c, 'model.blocks[1].block[2].kernel': 1 }, { numClasses: 10 });
  // a repeat as the whole block list maps back the same way
  const whole = new SearchSpace({ template: { model: { input: [4, 4, 1], blocks: { repeat: { int: [1, 3] }, block: { type: 'maxpool' } } } } });
  assert.equal(materialize(whole, { 'model.blocks.repeat': 2 }).model!.blocks.length, 2);
  const e2 = error(() => materialize(whole, { 'model.blocks.repeat': 3 }));
  assert.equal(e2.where, 'model.blocks.block[2]');
});

test('the NAS-Bench-201 space has 15,625 grid points', () => {
  const s = SearchSpace.fromFile(join(examples, 'nb201.yaml'));
  const g = s.grid();
  assert.equal(g.length, 5 ** 6);
  assert.equal(new Set(g.map((c) => s.key(c))).size, 5 ** 6);
});
