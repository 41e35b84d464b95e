import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../store/index.ts';
import type { Store, StudyRecord, TrialRecord } from '../store/index.ts';

/** A temp folder standing in for the built page (the unit tests do not need Vite). */
export function fakeWebRoot(): string {
  const dir = mkdtempSync(join(tmpdir(), 'distillery-web-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>dash</title><script type="module" src="./assets/app.js"></script>');
  writeFileSync(join(dir, 'assets', 'app.js'), 'console.log("page");');
  return dir;
}

/**
 * A store with one distilled-search-like study: two complete MLP trials (one dominated), one
 * infeasible, one running with an epoch reported. Accuracy/MACs values are made up but shaped
 * like a real search's.
 */
export async function filledStore(): Promise<{ path: string; store: Store; study: StudyRecord; trials: TrialRecord[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'distillery-dash-'));
  const path = join(dir, 'study.db');
  const store = await openStore(path);
  const config = { baseDir: dir, config: { name: 'unit', data: { source: 'mnist', limit: 1000 }, teacher: { type: 'onnx', path: 'teacher.onnx' }, strategy: { name: 'random' }, limits: ['macs<=30000'], budget: { trials: 4 } } };
  // The reference point a real search stores for this config: accuracy 0 and the MACs limit.
  const study = await store.createStudy({ name: 'unit', config, objectives: ['accuracy', 'macs'], directions: ['max', 'min'], reference: [0, 30000] });
  const mlp = (units: number) => ({ model: { blocks: [{ type: 'flatten' }, { type: 'dense', units, activation: 'relu' }, { type: 'dense', units: 10 }] }, train: { lr: 0.003 } });
  const [a, b, c, d] = await store.addTrials(study.id, [
    { params: { units: 16 }, spec: mlp(16) },
    { params: { units: 32 }, spec: mlp(32) },
    { params: { units: 64 }, spec: mlp(64), state: 'infeasible', reason: 'macs 50816 breaks macs<=30000', constraintViolation: 0.69, values: { macs: 50816 } },
    { params: { units: 8 }, spec: mlp(8) },
  ]);
  await store.reportEpoch(a!.id, 0, { loss: 1.2, valAccuracy: 0.8 });
  await store.finishTrial(a!.id, { state: 'complete', objectives: [0.8, 12704], constraintViolation: 0, values: { accuracy: 0.8, macs: 12704, params: 12730 }, artifacts: { model: join(dir, 'trial-0/model') } });
  // 32 units: more MACs and lower accuracy than 16 units, so dominated
  await store.reportEpoch(b!.id, 0, { loss: 1.4, valAccuracy: 0.7 });
  await store.finishTrial(b!.id, { state: 'complete', objectives: [0.7, 25408], constraintViolation: 0, values: { accuracy: 0.7, macs: 25408, params: 25450 } });
  await store.reportEpoch(d!.id, 0, { loss: 1.9, valAccuracy: 0.6 });
  return { path, store, study, trials: [a!, b!, c!, d!] };
}

/** A raw HTTP request (the path sent exactly as given, unlike fetch, which normalizes `..`). */
export function raw(url: string, path: string, opts: { method?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, method: opts.method ?? 'GET', headers: opts.headers ?? {} }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}
