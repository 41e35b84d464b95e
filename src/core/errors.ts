/**
 * One root error class for everything a user can get wrong. Each error carries a stable
 * `code` (for scripts and docs), a one-line `message` that names the file or config key at
 * fault, and a `hint` that says what to do.
 *
 * @example
 * throw new DistilleryError('DATA_IDX_MAGIC', `${file}: not an IDX file (magic 0x1234)`, 'pass an MNIST-style IDX file, raw or .gz');
 */
export class DistilleryError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  /** The file or config key path at fault, when there is one. */
  readonly where: string | undefined;

  constructor(code: string, message: string, hint?: string, where?: string) {
    super(message);
    this.name = 'DistilleryError';
    this.code = code;
    this.hint = hint;
    this.where = where;
  }

  /** The single line the CLI prints: `error CODE: message (hint: ...)`. */
  toLine(): string {
    return `error ${this.code}: ${this.message}${this.hint ? ` (hint: ${this.hint})` : ''}`;
  }
}

export function isDistilleryError(e: unknown): e is DistilleryError {
  return e instanceof DistilleryError;
}

/** Internal invariant: a failure here is a bug in distillery, not a user error. */
export function assert(cond: unknown, msg: () => string): asserts cond {
  if (!cond) throw new Error(`internal error: ${msg()}`);
}
