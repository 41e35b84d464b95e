import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, runCli, tempDir, tinyMnistConfig, writeConfig } from '../helpers/cli.ts';
import { chromiumSkip, launchChromium } from '../helpers/browser.ts';

// `distillery report` end to end: two models trained by the CLI (a teacher and a student, in a
// folder of runs like the quickstart's), one exported, the report written, then opened in
// Chromium with the network blocked to check that the page is self-contained and its plots draw.

let dir: string;

before(() => {
  dir = tempDir('distillery-report-');
  const data = { source: 'mnist', limit: 1000, testLimit: 500, validation: 100, normalize: 'scale' };
  const train = { epochs: 1, batchSize: 50, optimizer: { type: 'adam', lr: 0.003 } };
  const mlp = (name: string, units: number) => ({ name, blocks: [{ type: 'flatten' }, { type: 'dense', units, activation: 'relu' }, { type: 'dense', units: 10 }] });
  for (const [name, units] of [['teacher', 128], ['student', 16]] as const) {
    const cfg = writeConfig(dir, `${name}.json`, tinyMnistConfig({ name, data, train, model: mlp(`mlp-${units}`, units) }));
    const r = runCli(['train', '--config', cfg, '--out', join(dir, 'runs', name), '--backend', 'wasm', '--threads', '1']);
    assert.equal(r.code, 0, r.stderr);
  }
  const x = runCli(['export', join(dir, 'runs', 'student', 'model'), '--format', 'onnx', '--quantize', 'int8', '--no-compare']);
  assert.equal(x.code, 0, x.stderr);
});

test('report --json: HTML and Markdown twin; in Chromium, offline, the table has a row per model and the plots draw', async (t) => {
  const html = join(dir, 'out', 'report.html');
  const r = runCli(['report', join(dir, 'runs'), '--out', html, '--runtime', 'onnx,tfjs-wasm', '--warmup', '2', '--iterations', '10', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const done = r.events.at(-1)!;
  assert.equal(done['event'], 'done');
  assert.equal(done['html'], html);
  const models = done['models'] as { label: string; role: string; accuracy: { from: string; samples: number; value: number }; latency: Record<string, { p50Ms: number }>; files: { name: string }[] }[];
  assert.deepEqual(models.map((m) => [m.label, m.role]), [['teacher', 'teacher'], ['student', 'student']], 'teacher found by its folder name, listed first');
  const byLabel = Object.fromEntries(models.map((m) => [m.label, m]));
  assert.equal(byLabel['teacher']!.role, 'teacher');
  assert.equal(byLabel['student']!.role, 'student');
  for (const m of models) {
    assert.equal(m.accuracy.from, 'run metrics', 'the runs logged their test scores');
    assert.equal(m.accuracy.samples, 500);
    for (const rt of ['onnx', 'tfjs-wasm']) assert.ok(m.latency[rt]!.p50Ms > 0, `${m.label} ${rt}`);
  }
  // what ships: the model and the labels.json the export copies beside it (a text model's tokenizer.json too)
  assert.deepEqual(byLabel['student']!.files.map((f) => f.name), ['labels.json', 'model.int8.onnx']);
  const md = join(dir, 'out', 'report.md');
  assert.ok(existsSync(md));
  const page = readFileSync(html, 'utf8');
  assert.match(page, /model\.int8\.onnx \d/);

  // the Markdown twin: the same rows
  const rows = readFileSync(md, 'utf8').split('## Teacher against students')[1]!.split('\n## ')[0]!.split('\n').filter((l) => l.startsWith('| ')).slice(2);
  assert.deepEqual(rows.map((l) => l.split(' | ')[0]!.slice(2)), ['teacher', 'student']);

  const skip = chromiumSkip();
  if (skip) return t.skip(skip);
  const browser = await launchChromium();
  try {
    const pg = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const requests: string[] = [];
    await pg.route('**/*', (route) => {
      const url = route.request().url();
      requests.push(url);
      return url.startsWith('file:') ? route.continue() : route.abort();
    });
    await pg.goto(pathToFileURL(html).href);
    assert.deepEqual(requests, [pathToFileURL(html).href], 'nothing but the page itself is fetched');
    assert.equal(await pg.locator('#models tbody tr').count(), 2);
    assert.deepEqual(await pg.locator('#models tbody tr td:first-child').allTextContents(), ['teacher', 'student']);
    for (const id of ['pareto', 'sizes', 'latency']) {
      const box = await pg.locator(`svg#${id}`).boundingBox();
      assert.ok(box && box.width > 100 && box.height > 100, `svg#${id} drawn: ${JSON.stringify(box)}`);
    }
    const points = Number(await pg.locator('svg#pareto').getAttribute('data-points'));
    assert.equal(points, 2, 'one student and the teacher');
    const marks = pg.locator('svg#pareto .mark');
    assert.equal(await marks.count(), points);
    for (const b of await marks.evaluateAll((els) => els.map((e) => (e as SVGGraphicsElement).getBBox()).map((r) => [r.width, r.height]))) {
      assert.ok(b[0]! > 0 && b[1]! > 0, 'every mark has an area');
    }
    assert.equal(await pg.locator('svg#sizes rect.bar').count(), 4, 'fp32 and int8 for both models');
    assert.equal(await pg.locator('svg#latency rect.bar').count(), 4, 'two runtimes for both models');
    const widths = await pg.locator('svg#sizes rect.bar').evaluateAll((els) => els.map((e) => (e as SVGGraphicsElement).getBBox().width));
    assert.ok(widths[0]! > widths[2]!, 'the teacher\'s fp32 bar is longer than the student\'s');
    assert.match(await pg.locator('#summary').textContent() ?? '', /^Best student: student, which keeps/);
    const outDir = resolve(process.env['DISTILLERY_TEST_OUTPUT'] ?? join(ROOT, 'test-output'));
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, 'report.png'), await pg.screenshot({ fullPage: true }));
  } finally {
    await browser.close();
  }
});

test('report with bad input: one line each, with its code', () => {
  const notes = join(dir, 'notes.txt');
  writeFileSync(notes, 'not a model');
  const a = runCli(['report', notes, '--out', join(dir, 'bad.html')]);
  assert.equal(a.code, 2);
  const lines = a.stderr.trim().split('\n');
  assert.equal(lines.length, 1, a.stderr);
  assert.match(lines[0]!, /^error REPORT_INPUT: .*notes\.txt: a file that is not a study store; a report takes a study store/);
  const b = runCli(['report', join(dir, 'runs'), '--runtime', 'tflite', '--out', join(dir, 'bad.html')]);
  assert.equal(b.code, 2);
  assert.match(b.stderr.trim(), /^error BENCH_RUNTIME: unknown runtime 'tflite'; known: onnx, tfjs-wasm/);
  assert.ok(!existsSync(join(dir, 'bad.html')), 'nothing written');
});
