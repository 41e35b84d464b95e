import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Helper of the ONNX tests (here and in deploy/onnx/): the reference checker of the format.

const CHECKER = '/usr/bin/python3';

/**
 * Runs `onnx.checker.check_model(m, full_check=True)` of Debian's python3-onnx on `bytes`.
 * Returns `skip` with the reason when python3-onnx is not installed on a user's machine; in CI
 * (`CI` set) a missing checker is an error instead.
 */
export function onnxChecker(bytes: Uint8Array, name: string): { ok: true } | { ok: false; error: string } | { skip: string } {
  const probe = spawnSync(CHECKER, ['-c', 'import onnx'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    const why = `${CHECKER} with python3-onnx is not installed (apt-get install python3-onnx)`;
    // In CI (.ci/run sets CI) nothing may skip: the missing checker is a failure there.
    return process.env['CI'] ? { ok: false, error: `${why}; CI must install it` } : { skip: `${why}: onnx.checker not run` };
  }
  const file = join(mkdtempSync(join(tmpdir(), 'distillery-onnx-')), name);
  writeFileSync(file, bytes);
  const r = spawnSync(CHECKER, ['-c', 'import onnx,sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)', file], { encoding: 'utf8' });
  return r.status === 0 ? { ok: true } : { ok: false, error: r.stderr.trim().split('\n').slice(-3).join('\n') };
}
