import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initEngine } from '../../engine/index.ts';
import { buildModel, saveModel } from '../../models/index.ts';
import { openStore } from '../../store/index.ts';
import { search } from '../../study/index.ts';
import { collectReport } from './collect.ts';
import { renderHtml } from './html.ts';
import { renderMarkdown } from './markdown.ts';

const dir = mkdtempSync(join(tmpdir(), 'distillery-report-study-'));
const data = { source: 'mnist', limit: 800, validation: 200, normalize: 'scale' };

test('a study store: its front trials with their objectives, every complete trial on the scatter, limits, a teacher given apart', async () => {
  const file = join(dir, 's.json');
  writeFileSync(file, JSON.stringify({
    name: 'tiny', seed: 2, backend: 'wasm', threads: 1, data,
    space: { template: { model: { blocks: [{ type: 'flatten' }, { type: 'dense', units: { choice: [4, 8, 16, 64] }, activation: 'relu' }, { type: 'dense', units: 10 }] } } },
    train: { epochs: 1, batchSize: 50, optimizer: { type: 'adam', lr: 0.003 } },
    strategy: { name: 'grid' },
    objectives: [{ metric: 'accuracy', direction: 'max' }, { metric: 'macs', direction: 'min' }],
    limits: ['macs<=20000'],
    budget: { trials: 3 },
  }));
  const storePath = join(dir, 's.db');
  const summary = await search({ config: file, store: storePath });
  await initEngine({ backend: 'wasm', threads: 1 });
  const teacher = buildModel({ name: 'wide', blocks: [{ type: 'flatten' }, { type: 'dense', units: 32, activation: 'relu' }, { type: 'dense', units: 10 }] } as never, { inputShape: [28, 28, 1], numClasses: 10, seed: 1 });
  await saveModel(teacher, join(dir, 'teacher', 'model'), { distillery: { normalization: { kind: 'scale', mean: [0], std: [255] } } });
  teacher.dispose();

  const r = await collectReport([storePath], { latency: false, testLimit: 300, teacher: join(dir, 'teacher'), data: { data, baseDir: dir } });
  const store = await openStore(storePath, { readonly: true });
  const trials = await store.listTrials((await store.getStudy())!.id);
  await store.close();
  const complete = trials.filter((t) => t.state === 'complete');
  assert.equal(r.study!.name, 'tiny');
  assert.equal(r.study!.points.length, complete.length, 'every complete trial within the limit');
  assert.deepEqual(r.study!.limits, [{ metric: 'macs', op: '<=', value: 20000 }]);
  assert.deepEqual(r.models.map((m) => m.label), ['teacher', ...summary.pareto.map((t) => `trial ${t.number}`)]);
  for (const m of r.models.slice(1)) {
    const t = summary.pareto.find((p) => `trial ${p.number}` === m.label)!;
    assert.deepEqual(m.objectives, t.objectives);
    assert.equal(m.front, true);
    assert.equal(m.accuracy!.from, 're-evaluated');
    assert.equal(m.accuracy!.samples, 300, 'scored on the test split, not on validation');
  }
  assert.equal(r.models[0]!.role, 'teacher');
  assert.equal(r.models[0]!.accuracy!.samples, 300, "the teacher's data comes from --data");
  const html = renderHtml(r);
  const svg = /<svg id="pareto"[^>]*data-points="(\d+)"[\s\S]*?<\/svg>/.exec(html)!;
  assert.equal(Number(svg[1]), complete.length + 1, 'trials and the teacher');
  assert.equal((svg[0].match(/class="mark front"/g) ?? []).length, summary.pareto.length);
  assert.equal((svg[0].match(/class="limit"/g) ?? []).length, 1);
  assert.match(renderMarkdown(r), /Limits: macs &lt;= 20000\./);
});
