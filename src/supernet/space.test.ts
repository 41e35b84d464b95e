import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { loadSupernetConfig } from './config.ts';
import assert from 'node:assert/strict';
import { Rng } from '../core/rng.ts';
import { isDistilleryError } from '../core/errors.ts';
import { modelCost, type ModelSpec } from '../models/index.ts';
import { materialize, SearchSpace, strategies } from '../search/index.ts';
import { TINY_SPACE } from './fixtures.test-util.ts';
import { archFromCandidate, checkArch, elasticSpaceSchema, largestArch, randomArch, searchSpaceDefinition, smallestArch, subnetSpec, templateSpace } from './space.ts';


test('every subnet is a valid spec whose costs come from modelCost, ordered smallest < random < largest', () => {
  const macs = (a: ReturnType<typeof largestArch>) => modelCost(subnetSpec(TINY_SPACE, a), [28, 28, 1], 10).macs;
  const lo = macs(smallestArch(TINY_SPACE));
  const hi = macs(largestArch(TINY_SPACE));
  const rng = new Rng(1);
  for (let i = 0; i < 20; i++) {
    const m = macs(randomArch(TINY_SPACE, rng));
    assert.ok(m >= lo && m <= hi, `${m} within [${lo}, ${hi}]`);
  }
  // the largest: stem 3x3x1x4 on 14x14, then 2+2 mbconv blocks at full width with the largest kernels
  const spec = subnetSpec(TINY_SPACE, largestArch(TINY_SPACE));
  assert.deepEqual(spec.blocks.map((b) => b.type), ['conv2d', 'mbconv', 'mbconv', 'mbconv', 'mbconv', 'globalavgpool']);
  assert.deepEqual(spec.blocks.slice(1, 5).map((b) => [(b as { expansion: number }).expansion, (b as { kernel: number }).kernel, (b as { stride: number }).stride]), [[3, 5, 2], [3, 5, 1], [4, 7, 1], [4, 7, 1]]);
  assert.ok(hi > 3 * lo, `the space spans a range of costs: ${lo}..${hi}`);
});

test('candidates of the search space map to subnets, and bad subnets are refused with the choice at fault', () => {
  const space = new SearchSpace(searchSpaceDefinition(TINY_SPACE));
  // depth per stage, expansion and kernel per block of the deepest version: 2 + 2·2·2
  assert.equal(space.dims.length, 10);
  const s = strategies.get('random')(space, { seed: 3 });
  for (let i = 0; i < 10; i++) {
    const c = s.ask();
    const arch = archFromCandidate(TINY_SPACE, c);
    checkArch(TINY_SPACE, arch);
    assert.equal(arch.depth[1], 1 + (c['model.blocks[4].repeat'] as number));
    assert.equal(arch.kernel[1]![0], c['model.blocks[3].kernel']);
    if (arch.depth[1] === 2) assert.equal(arch.kernel[1]![1], c['model.blocks[4].block[0].kernel']);
    // the candidate's template model is the subnet's spec
    assert.deepEqual(modelCost(materialize(space, c).model!, [28, 28, 1], 10), modelCost(subnetSpec(TINY_SPACE, arch), [28, 28, 1], 10));
  }
  const bad = largestArch(TINY_SPACE);
  bad.kernel[1]![0] = 9;
  assert.throws(() => subnetSpec(TINY_SPACE, bad), (e) => isDistilleryError(e) && e.code === 'SUPERNET_ARCH' && e.message.includes('stages[1].blocks[0].kernel'));
  assert.throws(() => elasticSpaceSchema.parse({ stem: { filters: 4 }, stages: [{ filters: 8, depth: [1], expansion: [2], kernel: [4] }] }), /odd/);
});

test('the template space makes the same subnets: all-largest and all-smallest choices give the largest and smallest specs', () => {
  const space = new SearchSpace(templateSpace(TINY_SPACE));
  const pick = (f: (xs: number[]) => number) => Object.fromEntries(space.dims.map((d) => [d.name, f(d.options as number[])]));
  const specOf = (c: Record<string, number>) => materialize(space, c, { inputShape: [28, 28, 1], numClasses: 10 }).model!;
  const cost = (s: ModelSpec) => modelCost(s, [28, 28, 1], 10);
  assert.deepEqual(cost(specOf(pick((xs) => Math.max(...xs)))), cost(subnetSpec(TINY_SPACE, largestArch(TINY_SPACE))));
  assert.deepEqual(cost(specOf(pick((xs) => Math.min(...xs)))), cost(subnetSpec(TINY_SPACE, smallestArch(TINY_SPACE))));
});

test('examples/spaces/mnist-supernet.yaml is the template space of examples/mnist-supernet.yaml', async () => {
  const root = new URL('../../examples/', import.meta.url).pathname;
  const { config } = await loadSupernetConfig(`${root}mnist-supernet.yaml`);
  const file = parse(readFileSync(`${root}spaces/mnist-supernet.yaml`, 'utf8')) as { space: unknown };
  assert.deepEqual(file.space, templateSpace(config.supernet));
});
