import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { chromiumSkip, launchChromium } from '../helpers/browser.ts';
import { BIN, ROOT, runCli, tempDir, tinySearchConfig, writeConfig } from '../helpers/cli.ts';
import { raw } from '../../src/dashboard/testing.test-util.ts';
import { openStore } from '../../src/store/index.ts';

const WEB_SRC = join(ROOT, 'src/dashboard/web');
const WEB_OUT = join(ROOT, 'dist/dashboard/web/index.html');

function newest(dir: string): number {
  return Math.max(...readdirSync(dir, { withFileTypes: true }).map((e) => (e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs)));
}

/** Builds the page when it is missing or older than its sources, so a fresh edit is what gets tested. */
function ensureBuilt(): void {
  if (existsSync(WEB_OUT) && statSync(WEB_OUT).mtimeMs >= newest(WEB_SRC)) return;
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--config', join(WEB_SRC, 'vite.config.ts')], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, `vite build failed: ${r.stderr}`);
}

// Distilled MLPs on 1,500 MNIST images, one epoch each; the MACs limit makes 64 and 128 units infeasible.
const tinySearch = (): Record<string, unknown> => tinySearchConfig({
  name: 'tiny-dash',
  data: { source: 'mnist', limit: 1500, validation: 300, normalize: 'scale' },
  space: { template: { model: { blocks: [{ type: 'flatten' }, { type: 'dense', units: { choice: [8, 16, 32, 64, 128] }, activation: 'relu' }, { type: 'dense', units: 10 }] }, train: { lr: { float: [0.002, 0.01], log: true } } } },
  budget: { trials: 3, epochs: 1 },
});

function startDashboardCli(store: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [BIN, 'dashboard', '--store', store, '--port', '0', '--json'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const line = out.split('\n').find((l) => l.includes('"listening"'));
      if (line) resolve({ child, url: (JSON.parse(line) as { url: string }).url });
    });
    child.on('exit', (code) => reject(new Error(`dashboard exited (${code}): ${err}`)));
  });
}

test('the dashboard in a real browser over a real search: table, scatter, axes, a live trial, traversal refused, screenshot', { skip: chromiumSkip(), timeout: 120_000 }, async (t) => {
  ensureBuilt();
  const dir = tempDir();
  const store = join(dir, 'study.db');
  const r = runCli(['search', '--config', writeConfig(dir, 'search.json', tinySearch()), '--store', store, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const counts = (r.events.at(-1) as { counts: Record<string, number> }).counts;
  const total = counts['total']!;
  const complete = counts['complete']!;
  assert.ok(complete >= 1);

  const { child, url } = await startDashboardCli(store);
  const origin = new URL(url).origin;
  const browser = await launchChromium();
  const writer = await openStore(store);
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
    const offsite: string[] = [];
    const problems: string[] = [];
    let dialogs = 0;
    page.on('request', (req) => {
      if (!req.url().startsWith(`${origin}/`)) offsite.push(req.url());
    });
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('response', (res) => {
      if (res.status() >= 400) problems.push(`${res.status()} ${res.url()}`);
    });
    page.on('dialog', (d) => {
      dialogs++;
      void d.dismiss();
    });
    await page.goto(url);
    await page.waitForURL(/#\/study\/1$/);
    const rows = page.locator('#trials tbody tr');
    await page.waitForFunction((n) => document.querySelectorAll('#trials tbody tr').length === n, total);
    assert.equal(await rows.count(), total, 'one row per trial');
    const scatter = page.locator('#scatter');
    await page.waitForFunction(() => document.querySelector('#scatter')?.getAttribute('data-points') !== null);
    assert.equal(await scatter.getAttribute('data-points'), String(complete), 'one point per complete trial');
    assert.deepEqual([await scatter.getAttribute('data-x'), await scatter.getAttribute('data-y')], ['macs', 'accuracy']);
    // the front's blue is on the canvas (not only axes and grid)
    const blue = () =>
      page.evaluate(() => {
        const c = document.querySelector('#scatter canvas') as HTMLCanvasElement;
        const px = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 0; i < px.length; i += 4) if (px[i + 3]! > 200 && px[i + 2]! > 180 && px[i]! < 90 && px[i + 1]! > 90 && px[i + 1]! < 150) n++;
        return n;
      });
    assert.ok((await blue()) > 30, `front points drawn: ${await blue()} blue pixels`);

    await page.selectOption('#x-axis', 'params');
    await page.selectOption('#y-axis', 'valLoss');
    assert.deepEqual([await scatter.getAttribute('data-x'), await scatter.getAttribute('data-y')], ['params', 'valLoss']);
    // axis titles are drawn on the canvas; the legend names the x series after its axis
    assert.equal(await page.locator('#scatter .u-legend .u-label').first().textContent(), 'params');
    assert.equal(await scatter.getAttribute('data-points'), String(complete));

    // a trial finished while the page is open, with a parameter that is HTML: shown as text within 2 s
    const study = (await writer.getStudy('tiny-dash'))!;
    const evil = '<img src=x onerror=alert(1)>';
    const t0 = Date.now();
    const [added] = await writer.addTrials(study.id, [{ params: { 'model.blocks[1].units': evil }, spec: { model: { blocks: [{ type: 'flatten' }, { type: 'dense', units: 20, activation: 'relu' }, { type: 'dense', units: 10 }] } } }]);
    await writer.reportEpoch(added!.id, 0, { loss: 1.1, valAccuracy: 0.7 });
    await writer.finishTrial(added!.id, { state: 'complete', objectives: [0.7, 15880], constraintViolation: 0, values: { accuracy: 0.7, macs: 15880, params: 15910, valLoss: 0.95 } });
    await page.locator(`#trials tr[data-trial="${added!.id}"]`).waitFor({ timeout: 2000 });
    const seenAfter = Date.now() - t0;
    t.diagnostic(`live trial shown after ${seenAfter} ms`);
    assert.ok(seenAfter < 2000, `${seenAfter} ms`);
    assert.equal(await rows.count(), total + 1);
    await page.waitForFunction((n) => document.querySelector('#scatter')?.getAttribute('data-points') === String(n), complete + 1, { timeout: 2000 });
    assert.ok((await page.locator('#trials td', { hasText: evil }).count()) === 1, 'the string shows as text');
    assert.equal(await page.locator('#app img').count(), 0, 'and is no element');
    assert.equal(dialogs, 0, 'no script ran');

    // refused by the server: traversal and writes (sent raw; a browser would normalize the path)
    for (const p of ['/../package.json', '/%2e%2e/package.json', '/assets/%2e%2e/%2e%2e/package.json']) assert.equal((await raw(url, p)).status, 404, p);
    assert.equal((await raw(url, '/api/studies', { method: 'POST' })).status, 405);

    await page.selectOption('#x-axis', 'macs');
    await page.selectOption('#y-axis', 'accuracy');
    const shot = process.env['DISTILLERY_TEST_OUTPUT'] ? join(process.env['DISTILLERY_TEST_OUTPUT'], 'dashboard.png') : join(ROOT, 'test-output/dashboard.png');
    mkdirSync(dirname(shot), { recursive: true });
    await page.screenshot({ path: shot, fullPage: true });
    t.diagnostic(`screenshot: ${shot}`);

    // a trial's page from its row: the architecture as blocks, its costs
    await page.locator(`#trials tr[data-trial="${added!.id}"] a`).click();
    await page.waitForURL(new RegExp(`#/trial/${added!.id}$`));
    await page.locator('#architecture tbody tr').first().waitFor();
    assert.deepEqual(await page.locator('#architecture tbody tr td.mono').allTextContents(), ['flatten', 'dense 20 relu', 'dense 10 linear']);
    assert.equal(await page.locator('#app img').count(), 0);
    assert.match((await page.locator('h1').textContent()) ?? '', /trial #\d+ complete/);
    await page.screenshot({ path: shot.replace(/\.png$/, '-trial.png'), fullPage: true });

    // a running trial's page follows it: a new epoch, then its end
    const [run] = await writer.addTrials(study.id, [{ params: { 'model.blocks[1].units': 8 }, spec: { model: { blocks: [{ type: 'flatten' }, { type: 'dense', units: 8, activation: 'relu' }, { type: 'dense', units: 10 }] } } }]);
    await page.goto(`${url}#/trial/${run!.id}`);
    await page.locator('h1 .badge', { hasText: 'running' }).waitFor();
    await page.locator('#live', { hasText: 'live' }).waitFor();
    await writer.reportEpoch(run!.id, 0, { loss: 1.3, valAccuracy: 0.61 });
    await page.locator('table.metrics tbody tr').waitFor({ timeout: 2000 });
    await writer.finishTrial(run!.id, { state: 'pruned', reason: 'below the median', objectives: [0.61, 6352] });
    await page.locator('h1 .badge', { hasText: 'pruned' }).waitFor({ timeout: 2000 });

    // a study whose record holds its teacher's accuracy and cost: the teacher is drawn
    const other = await writer.createStudy({ name: 'with-teacher', config: { baseDir: dir, config: { teacher: { type: 'onnx', path: 'mnist-cnn.onnx' }, limits: ['macs<=30000'] }, teacherMetrics: { accuracy: 0.9913, macs: 2e5 } }, objectives: ['accuracy', 'macs'], directions: ['max', 'min'] });
    const [tt] = await writer.addTrials(other.id, [{ params: { units: 16 } }]);
    await writer.reportEpoch(tt!.id, 0, { loss: 1, valAccuracy: 0.9 });
    await writer.finishTrial(tt!.id, { state: 'complete', objectives: [0.9, 12704] });
    await page.goto(`${url}#/study/${other.id}`);
    await page.waitForFunction(() => document.querySelector('#scatter')?.getAttribute('data-points') === '1');
    assert.equal(await scatter.getAttribute('data-teacher'), 'drawn');
    assert.equal(await page.locator('#curve-accuracy').getAttribute('data-reference'), '0.9913');

    assert.deepEqual(offsite, [], 'nothing requested beyond the dashboard');
    assert.deepEqual(problems, [], 'no console errors (CSP violations show there)');
  } finally {
    await writer.close();
    await browser.close();
    child.kill('SIGTERM');
    await new Promise((res) => (child.exitCode !== null ? res(null) : child.once('exit', res)));
  }
  assert.equal(child.exitCode, 0, 'SIGTERM stops it cleanly');
});

test('`distillery dashboard` on a missing store or a file that is not one: one error line, exit 2, nothing served', () => {
  const dir = tempDir();
  const notes = join(dir, 'notes.db');
  writeFileSync(notes, 'not a database');
  for (const [store, code] of [[join(dir, 'none.db'), 'STORE_NOT_FOUND'], [notes, 'STORE_FORMAT']] as const) {
    const r = spawnSync(process.execPath, [BIN, 'dashboard', '--store', store, '--port', '0'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr.trim(), new RegExp(`^error ${code}: [^\\n]+$`));
    assert.equal(r.stdout, '', 'no URL printed');
  }
});
