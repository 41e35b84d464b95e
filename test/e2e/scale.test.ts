import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, ROOT, tempDir, writeConfig } from '../helpers/cli.ts';
import { redisSkip, startRedis } from '../helpers/redis.ts';
import type { RedisServer } from '../helpers/redis.ts';

// the real CLI, as a user runs it
const nodeArgs = [BIN];
const env = { ...process.env, FORCE_COLOR: '0' };
type Ev = Record<string, unknown>;

/** A CLI process whose --json events are collected as they come, with their arrival times. */
class Proc {
  readonly child: ChildProcessWithoutNullStreams;
  readonly events: (Ev & { at: number })[] = [];
  stderr = '';
  private buf = '';
  private listeners: ((e: Ev) => void)[] = [];
  readonly exited: Promise<number | null>;

  constructor(args: string[]) {
    this.child = spawn(process.execPath, [...nodeArgs, ...args], { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr.on('data', (b: Buffer) => (this.stderr += b.toString()));
    this.child.stdout.on('data', (b: Buffer) => {
      this.buf += b.toString();
      const lines = this.buf.split('\n');
      this.buf = lines.pop()!;
      for (const l of lines.filter((x) => x.trim())) {
        const e = { ...(JSON.parse(l) as Ev), at: Date.now() };
        this.events.push(e);
        for (const f of this.listeners) f(e);
      }
    });
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }

  /** Resolves with the first event (past or future) that matches. */
  when(match: (e: Ev) => boolean, timeoutMs = 60_000): Promise<Ev & { at: number }> {
    const seen = this.events.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no matching event in ${timeoutMs} ms; stderr: ${this.stderr.slice(-2000)}`)), timeoutMs);
      this.listeners.push((e) => {
        if (match(e)) {
          clearTimeout(t);
          resolve(e as Ev & { at: number });
        }
      });
    });
  }

  async stop(): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    return this.exited;
  }
}

// Plain MLPs on 2,000 MNIST images, 2 epochs each (about a second per trial on 1 thread).
function study(name: string): Record<string, unknown> {
  return {
    name, seed: 7, backend: 'wasm', threads: 1,
    data: { source: 'mnist', limit: 2000, validation: 400, normalize: 'scale' },
    space: { template: { model: { blocks: [{ type: 'flatten' }, { type: 'dense', units: { choice: [16, 24, 32, 48, 64, 96] }, activation: { choice: ['relu', 'tanh'] } }, { type: 'dense', units: 10 }] }, train: { lr: { float: [0.002, 0.01], log: true } } } },
    train: { epochs: 2, batchSize: 32, optimizer: { type: 'adam' } },
    strategy: { name: 'random' },
    objectives: [{ metric: 'accuracy', direction: 'max' }, { metric: 'params', direction: 'min' }],
    budget: { trials: 6 },
  };
}

function show(store: string): { trials: { id: number; number: number; state: string; attempts: number; model: string | null }[] } {
  const r = spawnSync(process.execPath, [...nodeArgs, 'search', 'show', '--store', store, '--json'], { cwd: ROOT, encoding: 'utf8', env });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

const skip = redisSkip();
let redis: RedisServer;
const procs: Proc[] = [];
const proc = (args: string[]) => {
  const p = new Proc(args);
  procs.push(p);
  return p;
};
before(async () => {
  if (!skip) redis = await startRedis();
});
after(async () => {
  for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  await redis?.stop();
});

test('two workers finish a 6-trial study; one killed -9 mid-trial: its trial completes on the other, counted once', { skip }, async () => {
  const dir = tempDir();
  const cfg = writeConfig(dir, 'study.json', study('kill-worker'));
  const store = join(dir, 'study.db');
  const w1 = proc(['worker', '--redis', redis.url, '--json']);
  const w2 = proc(['worker', '--redis', redis.url, '--json']);
  const coord = proc(['search', '--config', cfg, '--store', store, '--executor', redis.url, '--workers', '2', '--json']);
  // kill -9 whichever worker first reports an epoch, in the middle of that trial
  const first = await Promise.race([w1, w2].map((w) => w.when((e) => e['event'] === 'trial_epoch' && e['step'] === 0).then((e) => ({ w, e }))));
  first.w.child.kill('SIGKILL');
  const killedAt = Date.now();
  const other = first.w === w1 ? w2 : w1;
  const trial = first.e['trial'];
  const retry = await coord.when((e) => e['event'] === 'trial_start' && e['trial'] === trial && e['retry'] === true);
  const recovery = (retry.at - killedAt) / 1000;
  process.stderr.write(`# recovery of the killed worker's trial: ${recovery.toFixed(1)} s\n`);
  assert.ok(recovery < 30, `recovered in ${recovery} s`);
  assert.equal(await coord.exited, 0, coord.stderr);
  const done = coord.events.at(-1)!;
  assert.equal(done['event'], 'done');
  assert.equal(done['executor'], 'redis');
  assert.equal(done['workers'], 2);
  const counts = done['counts'] as Record<string, number>;
  assert.equal(counts['complete'], 6);
  assert.equal(counts['total'], 6);
  assert.ok(other.events.some((e) => e['event'] === 'trial_done' && e['trial'] === trial), 'the other worker finished the killed trial');
  const s = show(store);
  assert.deepEqual(s.trials.map((t) => t.number).sort(), [0, 1, 2, 3, 4, 5], 'each number once');
  assert.deepEqual(s.trials.filter((t) => t.attempts > 1).map((t) => [t.id, t.attempts]), [[trial, 2]], 'the attempt is recorded');
  for (const t of s.trials) assert.ok(t.state === 'complete' && existsSync(join(t.model!, 'model.json')), `trial ${t.number}'s model came back through Redis`);
  assert.equal(await other.stop(), 0, other.stderr);
});

test('the coordinator killed -9 mid-study and resumed: jobs finished meanwhile are read back, none runs twice', { skip }, async () => {
  const dir = tempDir();
  const cfg = writeConfig(dir, 'study.json', study('kill-coordinator'));
  const store = join(dir, 'study.db');
  const w = proc(['worker', '--redis', redis.url, '--json']);
  const args = ['search', '--config', cfg, '--store', store, '--executor', redis.url, '--workers', '2', '--json'];
  const c1 = proc(args);
  await c1.when((e) => e['event'] === 'trial_done');
  c1.child.kill('SIGKILL');
  await c1.exited;
  const recorded = c1.events.filter((e) => e['event'] === 'trial_done').map((e) => e['trial']);
  // a job the dead coordinator had queued finishes on the worker meanwhile
  const finished = await w.when((e) => e['event'] === 'trial_done' && !recorded.includes(e['trial']));
  const c2 = proc(['search', '--config', cfg, '--store', store, '--executor', redis.url, '--workers', '2', '--json', '--resume']);
  assert.equal(await c2.exited, 0, c2.stderr);
  const info = c2.events.filter((e) => e['event'] === 'info').map((e) => String(e['message']));
  assert.ok(info.some((m) => m.startsWith(`trial ${String(finished['number'])} was finished on the executor`)), info.join('\n'));
  const counts = (c2.events.at(-1)!['counts'] as Record<string, number>);
  assert.equal(counts['complete'], 6);
  assert.equal(counts['total'], 6);
  const ran = w.events.filter((e) => e['event'] === 'trial_start').map((e) => e['number'] as number).sort();
  assert.deepEqual(ran, [0, 1, 2, 3, 4, 5], 'every trial trained exactly once, across both coordinators');
  // A trial the first coordinator had stored but not yet queued when it died is started afresh
  // (one more attempt on record); every other one keeps its single attempt.
  const rerun = info.filter((m) => / was running when the study stopped/.test(m)).map((m) => Number(/^trial (\d+)/.exec(m)![1]));
  const s = show(store);
  assert.deepEqual(s.trials.filter((t) => t.attempts > 1).map((t) => t.number), rerun);
  assert.ok(s.trials.every((t) => t.attempts <= 2));
  assert.equal(await w.stop(), 0, w.stderr);
});

test('a worker or coordinator that cannot reach Redis: one line naming the URL, never the password', async () => {
  const dir = tempDir();
  const cfg = writeConfig(dir, 'study.json', study('unreachable'));
  const url = 'redis://:secret@127.0.0.1:1';
  for (const args of [['worker', '--redis', url], ['search', '--config', cfg, '--store', join(dir, 'x.db'), '--executor', url]]) {
    const t0 = Date.now();
    const r = spawnSync(process.execPath, [...nodeArgs, ...args], { cwd: ROOT, encoding: 'utf8', env, timeout: 60_000 });
    assert.notEqual(r.status, 0);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, /^error REDIS_UNREACHABLE: cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1: /);
    assert.ok(!(r.stdout + r.stderr).includes('secret'), 'the password is never printed');
    assert.ok(Date.now() - t0 < 30_000, 'fails fast');
  }
  assert.equal(existsSync(join(dir, 'x.db')), false, 'nothing stored');
});
