import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startDashboard } from './index.ts';
import { fakeWebRoot, filledStore } from './testing.test-util.ts';

/** Reads server-sent events from a stream until `until` accepts one (or the time runs out). */
async function readEvents(body: ReadableStream<Uint8Array>, until: (e: { event: string; data: unknown }) => boolean, ms: number) {
  const reader = body.getReader();
  const dec = new TextDecoder();
  const seen: { event: string; data: unknown }[] = [];
  let buf = '';
  const deadline = Date.now() + ms;
  try {
    while (Date.now() < deadline) {
      const chunk = await Promise.race([reader.read(), new Promise<null>((r) => setTimeout(() => r(null), deadline - Date.now()))]);
      if (chunk === null || chunk.done) break;
      buf += dec.decode(chunk.value, { stream: true });
      let i: number;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event === undefined) continue;
        const e = { event, data: data === undefined ? null : JSON.parse(data) };
        seen.push(e);
        if (until(e)) return seen;
      }
    }
    return seen;
  } finally {
    reader.releaseLock();
  }
}

test('server-sent events: `ready`, then a new epoch and a finished trial within 2 s, a new trial as it appears', async () => {
  const { path, store, study, trials } = await filledStore();
  const d = await startDashboard({ store: path, port: 0, webRoot: fakeWebRoot(), pollMs: 200 });
  const ctl = new AbortController();
  try {
    const res = await fetch(new URL('/api/studies/1/events', d.url), { signal: ctl.signal });
    assert.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    const body = res.body!;
    const first = await readEvents(body, (e) => e.event === 'ready', 2000);
    assert.deepEqual(first.map((e) => e.event), ['ready'], 'nothing already stored is replayed');

    const running = trials[3]!.id;
    const t0 = Date.now();
    await store.reportEpoch(running, 1, { loss: 1.5, valAccuracy: 0.65 });
    await store.finishTrial(running, { state: 'complete', objectives: [0.65, 6352], constraintViolation: 0, values: { macs: 6352 } });
    const [fresh] = await store.addTrials(study.id, [{ params: { units: 4 } }]);
    const got = await readEvents(body, (e) => e.event === 'trial' && (e.data as { id: number }).id === fresh!.id, 2000);
    assert.ok(Date.now() - t0 < 2000, `within 2 s: ${Date.now() - t0} ms`);
    const metrics = got.filter((e) => e.event === 'metrics').map((e) => e.data);
    assert.deepEqual(metrics, [{ trialId: running, step: 1, values: { loss: 1.5, valAccuracy: 0.65 } }], 'only the new epoch');
    const done = got.find((e) => e.event === 'trial' && (e.data as { id: number }).id === running)?.data as { state: string; objectives: Record<string, number> };
    assert.equal(done.state, 'complete');
    assert.deepEqual(done.objectives, { accuracy: 0.65, macs: 6352 });
    assert.equal((got.at(-1)!.data as { state: string; number: number }).number, 4);
  } finally {
    ctl.abort();
    await d.close();
    await store.close();
  }
});
