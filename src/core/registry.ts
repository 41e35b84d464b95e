import { DistilleryError } from './errors.ts';

/**
 * A typed name -> value registry with helpful misses.
 *
 * @example
 * const losses = new Registry<LossTerm>('loss');
 * losses.register('kd', kd);
 * losses.get('kdd'); // DistilleryError UNKNOWN_LOSS: unknown loss 'kdd'; known: kd
 */
export class Registry<T> {
  private readonly items = new Map<string, T>();
  constructor(readonly kind: string) {}

  register(name: string, value: T): void {
    if (this.items.has(name)) throw new Error(`internal error: ${this.kind} '${name}' registered twice`);
    this.items.set(name, value);
  }

  has(name: string): boolean {
    return this.items.has(name);
  }

  get(name: string, where?: string): T {
    const v = this.items.get(name);
    if (v === undefined) {
      throw new DistilleryError(
        `UNKNOWN_${this.kind.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}`,
        `unknown ${this.kind} '${name}'${where ? ` at ${where}` : ''}; known: ${this.names().join(', ')}`,
        `use one of: ${this.names().join(', ')}`,
        where,
      );
    }
    return v;
  }

  names(): string[] {
    return [...this.items.keys()];
  }
}
