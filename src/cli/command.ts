import type { Args } from '../util/args.ts';

/**
 * One CLI command. Each lives in `src/cli/commands/<name>.ts` and default-exports a `Command`;
 * `main.ts` finds it by name, so adding a command touches no shared file.
 */
export interface Command {
  /** One line for `speech-ssl help`. */
  summary: string;
  /** Full usage text for `speech-ssl <name> --help`. */
  usage: string;
  /** Flags that take no value (`--concat`, `--resume`...). */
  booleanFlags?: string[];
  /** Runs the command; resolves to the process exit code. */
  run(args: Args): Promise<number>;
}
