import { spawnSync } from 'node:child_process';

/**
 * Whether an external tool the tests need (redis-server, chromium, python3-onnx) is missing.
 * On a user's machine a missing tool skips the test with the reason and the install line;
 * in CI (`CI` set, as `.ci/run` does) nothing may skip, so a missing tool fails the test.
 *
 * @example
 * const skip = missingTool('redis-server', ['--version'], 'apt-get install redis-server');
 * test('workers', { skip }, async () => { ... });
 */
export function missingTool(bin: string, probeArgs: string[], install: string): string | false {
  const r = spawnSync(bin, probeArgs, { encoding: 'utf8', timeout: 20_000 });
  if (!r.error && r.status === 0) return false;
  const why = `${bin} is not installed (${install}): test skipped`;
  if (process.env['CI']) throw new Error(`${why.replace(': test skipped', '')}; CI must install it (.ci/run)`);
  return why;
}
