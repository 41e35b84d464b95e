import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { fit } from './trainer.ts';
import { readWeights } from './weights.ts';
import { loadCheckpoint } from './checkpoint.ts';
import { mnistSubset, tinyMlp } from './testing.ts';
import { CHILD_RUN, CHILD_SAMPLES } from './testing-child.ts';

await tf.setBackend('cpu');

const CHILD = join(import.meta.dirname, 'testing-child.ts');

/** Run the child; with `killAt`, SIGKILL it once a printed line matches. Resolves to its printed events. */
function runChild(dir: string, resume: boolean, killAt?: (e: Record<string, unknown>) => boolean): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', join(import.meta.dirname, '../../bin/ts-register.js'), CHILD, dir, resume ? 'resume' : 'fresh'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const events: Record<string, unknown>[] = [];
    let buf = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buf += chunk.toString();
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const l of lines) {
        const e = JSON.parse(l) as Record<string, unknown>;
        events.push(e);
        if (killAt?.(e)) child.kill('SIGKILL');
      }
    });
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (killAt ? signal === 'SIGKILL' : code === 0) resolve(events);
      else reject(new Error(`child ended with code ${code} signal ${signal}: ${err}`));
    });
  });
}

test('kill -9 mid-epoch, then resume in a new process: same epochs, same weights as an unbroken run', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'distillery-kill-'));
  try {
    await runChild(dir, false, (e) => e['event'] === 'batch' && e['epoch'] === 2 && (e['batch'] as number) >= 5);
    const saved = loadCheckpoint(join(dir, 'checkpoint'));
    assert.ok(saved && saved.epoch >= 1 && saved.epoch < CHILD_RUN.epochs, `checkpoint after epoch ${saved?.epoch}`);
    const events = await runChild(dir, true);
    const starts = events.filter((e) => e['event'] === 'epoch_start').map((e) => e['epoch']);
    assert.deepEqual(starts, Array.from({ length: CHILD_RUN.epochs - saved.epoch }, (_, i) => saved.epoch + 1 + i));
    assert.equal(events.filter((e) => e['event'] === 'epoch').at(-1)?.['epoch'], CHILD_RUN.epochs);

    const model = tinyMlp(31, { dropout: 0.2 });
    await fit(model, mnistSubset('train', 0, CHILD_SAMPLES), CHILD_RUN);
    const expected = Float32Array.from(readWeights(model).flatMap((w) => Array.from(w)));
    model.dispose();
    const got = new Float32Array(new Uint8Array(readFileSync(join(dir, 'final.bin'))).buffer);
    assert.equal(got.length, expected.length);
    let diff = 0;
    got.forEach((v, i) => (diff = Math.max(diff, Math.abs(v - expected[i]))));
    assert.equal(diff, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
