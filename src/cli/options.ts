/**
 * Readers of command-line option values shared by the commands: each turns the raw value
 * commander hands over (a string, or undefined when the flag is absent) into a typed value, or
 * throws a `DistilleryError` that names the flag and shows a valid example.
 */
import { DistilleryError } from '../core/errors.ts';

/**
 * A positive integer flag, or undefined when absent. Throws `CLI_NUMBER` otherwise.
 *
 * @example
 * positiveInt('threads', opts['threads']) ?? 1; // '--threads 2' -> 2; '--threads 0' -> error CLI_NUMBER
 */
export function positiveInt(flag: string, v: unknown): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) {
    throw new DistilleryError('CLI_NUMBER', `--${flag} ${String(v)}: expected a positive integer`, `for example --${flag} 2`, `--${flag}`);
  }
  return n;
}

/**
 * A number ≥ 0 (a time, a rate), or undefined when absent. Throws `CLI_NUMBER` otherwise.
 *
 * @example
 * nonNegativeNumber('warmup-ms', opts['warmupMs']) ?? 1000; // '--warmup-ms 0' -> 0; '--warmup-ms x' -> error CLI_NUMBER
 */
export function nonNegativeNumber(flag: string, v: unknown): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || String(v).trim() === '') {
    throw new DistilleryError('CLI_NUMBER', `--${flag} ${String(v)}: expected a number ≥ 0`, `for example --${flag} 1000`, `--${flag}`);
  }
  return n;
}

/**
 * A number > 0 (a learning rate), or undefined when absent. Throws `CLI_NUMBER` otherwise.
 *
 * @example
 * positiveNumber('finetune-lr', opts['finetuneLr']); // '--finetune-lr 5e-4' -> 0.0005
 */
export function positiveNumber(flag: string, v: unknown): number | undefined {
  const n = nonNegativeNumber(flag, v);
  if (n === 0) throw new DistilleryError('CLI_NUMBER', `--${flag} ${String(v)}: expected a number > 0`, `for example --${flag} 0.001`, `--${flag}`);
  return n;
}

/**
 * A comma-separated list of positive integers, or undefined when absent. Throws `CLI_NUMBER`
 * when any item is not one.
 *
 * @example
 * positiveInts('batch', '1, 32'); // [1, 32]
 */
export function positiveInts(flag: string, v: unknown): number[] | undefined {
  if (v === undefined) return undefined;
  const parts = String(v).split(',').map((s) => Number(s.trim()));
  if (parts.some((n) => !Number.isInteger(n) || n <= 0)) {
    throw new DistilleryError('CLI_NUMBER', `--${flag} ${String(v)}: expected positive integers separated by commas`, `for example --${flag} 1,32`, `--${flag}`);
  }
  return parts;
}

/**
 * One of `known`, or undefined when absent. Throws `code` (the command's own, e.g.
 * `EXPORT_FORMAT`) listing the known values otherwise.
 *
 * @example
 * choice('format', 'format', opts['format'], ['onnx', 'tfjs'] as const, 'EXPORT_FORMAT') ?? 'onnx';
 */
export function choice<T extends string>(flag: string, what: string, v: unknown, known: readonly T[], code: string): T | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !(known as readonly string[]).includes(v)) {
    throw new DistilleryError(code, `--${flag} ${String(v)}: unknown ${what}; known: ${known.join(', ')}`, `use one of: ${known.join(', ')}`, `--${flag}`);
  }
  return v as T;
}

/**
 * A string flag the command cannot run without. Throws `CLI_OPTION_REQUIRED` with `example`
 * as the hint when absent.
 *
 * @example
 * const out = requiredString('out', opts['out'], 'table.json');
 */
export function requiredString(flag: string, v: unknown, example: string): string {
  if (typeof v !== 'string') throw new DistilleryError('CLI_OPTION_REQUIRED', `--${flag} is required`, `for example --${flag} ${example}`, `--${flag}`);
  return v;
}
