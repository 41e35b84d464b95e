import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { pinMainThread } from './pin.ts';

test('pinMainThread keeps only the main thread on the core: node\'s helper threads keep every core', { skip: process.platform !== 'linux' || cpus().length < 2 }, () => {
  // in a child process, so this test's own scheduling stays as it was
  const script = `
    import { readFileSync, readdirSync } from 'node:fs';
    import { pinMainThread } from './src/deploy/predict/pin.ts';
    const r = pinMainThread({ cpu: 0 });
    const allowed = (tid) => /Cpus_allowed_list:\\s*(\\S+)/.exec(readFileSync('/proc/self/task/' + tid + '/status', 'utf8'))[1];
    const others = readdirSync('/proc/self/task').filter((t) => t !== String(process.pid)).map(allowed);
    console.log(JSON.stringify({ r, main: allowed(process.pid), others }));`;
  const c = spawnSync(process.execPath, ['--import', './bin/ts-register.js', '--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(c.status, 0, c.stderr);
  const out = JSON.parse(c.stdout.trim().split('\n').at(-1)!) as { r: { pinned: boolean; notes: string[] }; main: string; others: string[] };
  if (!out.r.pinned) return void assert.ok(out.r.notes.length > 0, 'not pinned, and no note saying why');
  assert.equal(out.main, '0');
  assert.ok(out.others.length > 0 && out.others.every((a) => a !== '0'), JSON.stringify(out.others));
});

test('pinMainThread: a step that cannot be done is skipped with a note, not an error', () => {
  const r = pinMainThread({ cpu: 4096 });
  assert.equal(r.pinned, false);
  assert.equal(r.realtime, false);
  assert.ok(r.notes.length === 1 && /core 4096/.test(r.notes[0]!), JSON.stringify(r.notes));
});
