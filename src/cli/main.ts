import { Command, CommanderError, Option } from 'commander';
import { DistilleryError, isDistilleryError } from '../core/errors.ts';
import type { Reporter } from '../core/events.ts';
import { commands } from './commands.ts';
import type { CommandSpec, GlobalFlags } from './spec.ts';
import { humanReporter, jsonReporter } from './reporters.ts';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function addCommand(program: Command, spec: CommandSpec, run: (spec: CommandSpec, args: string[], opts: Record<string, unknown>) => Promise<void>): void {
  const cmd = program.command(spec.name).description(spec.description);
  for (const a of spec.args ?? []) cmd.argument(a.required ? `<${a.name}>` : `[${a.name}]`, a.description);
  for (const o of spec.options ?? []) {
    const opt = new Option(o.flags, o.description);
    if (o.repeatable) opt.argParser(collect).default([]);
    cmd.addOption(opt);
  }
  cmd
    .option('--json', 'machine-readable output: one JSON event per line on stdout')
    .option('--seed <n>', 'random seed (overrides the config)')
    .option('--debug', 'print stack traces of errors')
    .action(async (...argv: unknown[]) => {
      const command = argv[argv.length - 1] as Command;
      // A variadic last argument (`name...`) arrives as an array: its values join the list.
      const positional = (argv.slice(0, spec.args?.length ?? 0) as (string | string[] | undefined)[]).flat().filter((a): a is string => a !== undefined);
      await run(spec, positional, command.opts());
    });
}

/**
 * The CLI entry point: parses argv, runs one command, prints one clear line on failure.
 * Returns the exit code (0 ok, 2 user error, 1 internal error).
 */
export async function main(argv: string[]): Promise<number> {
  let debug = argv.includes('--debug');
  let json = argv.includes('--json');
  const program = new Command('distillery')
    .description('Knowledge distillation and architecture search for TypeScript')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  let code = 0;
  for (const spec of commands) {
    addCommand(program, spec, async (s, args, opts) => {
      debug = opts['debug'] === true;
      json = opts['json'] === true;
      const reporter: Reporter = json ? jsonReporter() : humanReporter();
      const flags: GlobalFlags = { json, debug, reporter, ...(opts['seed'] !== undefined ? { seed: parseSeed(String(opts['seed'])) } : {}) };
      await s.run(args, opts, flags);
    });
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    code = report(e, debug, json);
  }
  return code;
}

function parseSeed(s: string): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 0) {
    throw new DistilleryError('CLI_SEED', `--seed ${s}: expected a non-negative integer`, 'for example --seed 42', '--seed');
  }
  return n;
}

function report(e: unknown, debug: boolean, json: boolean): number {
  if (e instanceof CommanderError) {
    // commander already printed its message (unknown option, missing argument, --help)
    return e.exitCode === 0 ? 0 : 2;
  }
  if (isDistilleryError(e)) {
    if (json) process.stdout.write(JSON.stringify({ event: 'error', code: e.code, message: e.message, hint: e.hint, where: e.where }) + '\n');
    process.stderr.write(e.toLine() + '\n');
    if (debug && e.stack) process.stderr.write(e.stack + '\n');
    return 2;
  }
  const err = e instanceof Error ? e : new Error(String(e));
  if (json) process.stdout.write(JSON.stringify({ event: 'error', code: 'INTERNAL', message: err.message }) + '\n');
  process.stderr.write(`error INTERNAL: ${err.message}${debug ? '' : ' (run with --debug for the stack trace)'}\n`);
  if (debug && err.stack) process.stderr.write(err.stack + '\n');
  return 1;
}
