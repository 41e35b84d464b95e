import { test } from 'node:test';
import assert from 'node:assert/strict';
import { humanReporter } from './reporters.ts';

/** A stderr stand-in that keeps what is written (not a TTY: one line per event). */
function sink() {
  const lines: string[] = [];
  const stream = { isTTY: false, write: (s: string) => (lines.push(s), true) } as unknown as NodeJS.WriteStream;
  return { stream, lines };
}

const fallback = 'native engine not built (oneDNN was not found at install): using wasm, about 2.5x slower (…); for the native engine: apt-get install libdnnl-dev && npm rebuild distillery';

test('a job that starts on wasm for want of the native engine says so once, with the cost and the fix', () => {
  const { stream, lines } = sink();
  const report = humanReporter(stream);
  report({ event: 'start', command: 'train', engine: { backend: 'wasm', threads: 2, simd: true, notes: [fallback], fallback } });
  assert.deepEqual(lines, [`note: ${fallback}\n`]);
  // the quickstart starts three jobs (teacher, student, distilled): the note comes once
  report({ event: 'start', command: 'train', engine: { backend: 'wasm', threads: 2, simd: true, notes: [fallback], fallback } });
  assert.equal(lines.length, 1);
});

test('no note when the job runs on the engine it wanted', () => {
  const { stream, lines } = sink();
  const report = humanReporter(stream);
  report({ event: 'start', command: 'train', engine: { backend: 'native', threads: 2, simd: true, notes: ['oneDNN 2.6.3'] } });
  report({ event: 'start', command: 'train', engine: { backend: 'wasm', threads: 2, simd: true, notes: [] } });
  report({ event: 'start', command: 'report', inputs: [] });
  assert.deepEqual(lines, []);
});

test('a search says the same note as its setup starts the engine, once even inside the quickstart', () => {
  const { stream, lines } = sink();
  const report = humanReporter(stream);
  report({ event: 'info', message: `note: ${fallback}`, fallback });
  report({ event: 'info', message: 'teacher: 99.10% on the held-out split' });
  report({ event: 'start', command: 'train', engine: { backend: 'wasm', threads: 2, simd: true, notes: [fallback], fallback } });
  report({ event: 'info', message: `note: ${fallback}`, fallback });
  assert.deepEqual(lines, [`note: ${fallback}\n`, 'teacher: 99.10% on the held-out split\n']);
});
