import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDashboard, safePath } from './index.ts';
import type { StudyListItem, StudyView, TrialDetail, TrialView } from './index.ts';
import { fakeWebRoot, filledStore, raw } from './testing.test-util.ts';

const web = fakeWebRoot();

test('the JSON API: studies, a study with its front and limits, its trials, a trial with architecture and metrics', async () => {
  const { path, store, trials } = await filledStore();
  const d = await startDashboard({ store: path, port: 0, webRoot: web });
  try {
    assert.match(d.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const get = async <T>(p: string) => {
      const r = await fetch(new URL(p, d.url));
      assert.equal(r.status, 200, p);
      return (await r.json()) as T;
    };
    const studies = await get<StudyListItem[]>('/api/studies');
    assert.deepEqual(studies.map((s) => [s.name, s.counts.total, s.counts.complete, s.counts.running, s.counts.infeasible]), [['unit', 4, 2, 1, 1]]);

    const s = await get<StudyView>('/api/studies/1');
    assert.deepEqual(s.objectives, [{ name: 'accuracy', direction: 'max' }, { name: 'macs', direction: 'min' }]);
    assert.deepEqual(s.limits, [{ metric: 'macs', op: '<=', value: 30000 }]);
    assert.deepEqual(s.pareto, [trials[0]!.id], 'the 32-unit trial is dominated by the 16-unit one');
    // reference (0 accuracy, the 30000 MACs limit): 0.8 · (30000 − 12704)
    assert.ok(Math.abs(s.hypervolume - 0.8 * (30000 - 12704)) < 1e-6, String(s.hypervolume));
    assert.deepEqual(s.teacher, { type: 'onnx', paths: ['teacher.onnx'], values: {} });
    assert.equal(s.strategy, 'random');

    const ts = await get<TrialView[]>('/api/studies/1/trials');
    assert.deepEqual(ts.map((t) => [t.number, t.state]), [[0, 'complete'], [1, 'complete'], [2, 'infeasible'], [3, 'running']]);
    assert.deepEqual(ts[0]!.objectives, { accuracy: 0.8, macs: 12704 });
    assert.equal(ts[2]!.reason, 'macs 50816 breaks macs<=30000');
    assert.ok(ts[0]!.duration! >= 0 && ts[3]!.duration === null);

    const t = await get<TrialDetail>(`/api/trials/${trials[0]!.id}`);
    assert.deepEqual(t.architecture!.blocks.map((b) => b.block), ['flatten', 'dense 16 relu', 'dense 10 linear']);
    assert.equal(t.architecture!.total!.params, 784 * 16 + 16 + 16 * 10 + 10);
    assert.deepEqual(t.metrics, [{ step: 0, values: { loss: 1.2, valAccuracy: 0.8 } }]);
    assert.match(t.artifacts['model']!, /trial-0\/model$/);

    const m = await get<Record<string, unknown[]>>('/api/studies/1/metrics');
    assert.deepEqual(Object.keys(m).sort(), [trials[0]!.id, trials[1]!.id, trials[3]!.id].map(String).sort());

    for (const p of ['/api/studies/9', '/api/trials/99', '/api/studies/9/trials', '/api/whatever']) assert.equal((await raw(d.url, p)).status, 404, p);
  } finally {
    await d.close();
    await store.close();
  }
});

test('only GET/HEAD, only the built files: traversal and absolute paths 404, security headers on every answer', async () => {
  const { path, store } = await filledStore();
  writeFileSync(join(web, '..', 'secret.txt'), 'outside the web root');
  const d = await startDashboard({ store: path, port: 0, webRoot: web });
  try {
    const index = await raw(d.url, '/');
    assert.equal(index.status, 200);
    assert.match(index.body, /<title>dash<\/title>/);
    assert.equal(index.headers['content-security-policy'], "default-src 'self'");
    assert.equal(index.headers['x-content-type-options'], 'nosniff');
    assert.equal((await raw(d.url, '/assets/app.js')).headers['content-type'], 'text/javascript; charset=utf-8');
    const refused = ['/../package.json', '/%2e%2e/package.json', '/%2E%2E%2Fsecret.txt', '/assets/../../secret.txt', '/assets/..%2f..%2fsecret.txt', '//etc/passwd', '/etc/passwd', `/${web}/index.html`, '/..\\secret.txt', 'http://example.com/', '/index.html%00.js'];
    for (const p of refused) {
      const r = await raw(d.url, p);
      assert.equal(r.status, 404, p);
      assert.doesNotMatch(r.body, /outside the web root|"name": "distillery"|root:/, p);
      assert.equal(r.headers['x-content-type-options'], 'nosniff');
    }
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      const r = await raw(d.url, '/api/studies', { method });
      assert.equal(r.status, 405, method);
      assert.equal(r.headers['allow'], 'GET, HEAD');
    }
    const head = await raw(d.url, '/api/studies', { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
    // a page on another site reaching 127.0.0.1 through DNS rebinding names its own host
    assert.equal((await raw(d.url, '/api/studies', { headers: { Host: 'attacker.example:80' } })).status, 403);
  } finally {
    await d.close();
    await store.close();
  }
  assert.equal(safePath('/assets/a.js?x=1'), '/assets/a.js');
  assert.equal(safePath('/%2e%2e/x'), undefined);
});

test('a non-loopback host requires the token: query, Bearer header, or the cookie set from the query', async () => {
  const { path, store } = await filledStore();
  const d = await startDashboard({ store: path, port: 0, webRoot: web, host: '0.0.0.0' });
  try {
    assert.ok(d.token && d.token.length >= 20, 'a token is generated');
    assert.match(d.url, new RegExp(`^http://127\\.0\\.0\\.1:${d.port}/\\?token=`));
    assert.equal((await raw(d.url, '/api/studies')).status, 401);
    assert.equal((await raw(d.url, '/')).status, 401, 'the page too');
    assert.equal((await raw(d.url, '/api/studies?token=wrong')).status, 401);
    assert.equal((await raw(d.url, '/api/studies', { headers: { Authorization: 'Bearer wrong' } })).status, 401);
    const page = await raw(d.url, `/?token=${d.token}`);
    assert.equal(page.status, 200);
    const cookie = String(page.headers['set-cookie']).split(';')[0]!;
    assert.equal((await raw(d.url, '/assets/app.js', { headers: { Cookie: cookie } })).status, 200);
    assert.equal((await raw(d.url, '/api/studies', { headers: { Authorization: `Bearer ${d.token}` } })).status, 200);
  } finally {
    await d.close();
  }
  const given = await startDashboard({ store: path, port: 0, webRoot: web, token: 'my-own-token-1' });
  try {
    assert.match(given.url, /\?token=my-own-token-1$/);
    assert.equal((await raw(given.url, '/api/studies')).status, 401, 'a token given on loopback is required too');
    assert.equal((await raw(given.url, '/api/studies?token=my-own-token-1')).status, 200);
  } finally {
    await given.close();
    await store.close();
  }
});

test('no store, not a store, page not built: the store\'s code or DASHBOARD_NOT_BUILT, before listening', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'distillery-dash-'));
  writeFileSync(join(dir, 'notes.db'), 'not a database');
  await assert.rejects(startDashboard({ store: join(dir, 'none.db'), port: 0, webRoot: web }), { code: 'STORE_NOT_FOUND' });
  await assert.rejects(startDashboard({ store: join(dir, 'notes.db'), port: 0, webRoot: web }), { code: 'STORE_FORMAT' });
  const { path, store } = await filledStore();
  await assert.rejects(startDashboard({ store: path, port: 0, webRoot: dir }), (e: Error & { code?: string; hint?: string }) => e.code === 'DASHBOARD_NOT_BUILT' && /npm run build:dashboard/.test(e.hint ?? ''));
  await store.close();
});
