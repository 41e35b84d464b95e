import type { Reporter } from '../core/events.ts';

// The shape every command file declares and main.ts wires: its own file, so the command files
// and the list that gathers them (commands.ts) import it without importing each other.

/** Flags every command takes. */
export interface GlobalFlags {
  json: boolean;
  debug: boolean;
  seed?: number;
  reporter: Reporter;
}

/** A CLI command declared as data: the CLI only wires options to the API. */
export interface CommandSpec {
  name: string;
  description: string;
  args?: { name: string; description: string; required?: boolean }[];
  options?: { flags: string; description: string; repeatable?: boolean }[];
  run(args: string[], opts: Record<string, unknown>, flags: GlobalFlags): Promise<void>;
}
