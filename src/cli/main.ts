import { readdirSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Args } from '../util/args.ts';
import { InputError } from '../util/errors.ts';
import { moduleExtension } from '../util/module-file.ts';
import { nearestName } from '../util/nearest-name.ts';
import { projectVersion } from '../util/version.ts';
import { describeWriteFailure, isWriteFailure } from '../util/write-failure.ts';
import type { Command } from './command.ts';

const commandsDir = join(dirname(fileURLToPath(import.meta.url)), 'commands');
/** `.ts` from the sources, `.js` from the compiled package. */
const ext = moduleExtension(import.meta.url);

function commandNames(): string[] {
  return readdirSync(commandsDir)
    .filter((f) => f.endsWith(ext) && !f.endsWith('.d.ts'))
    .map((f) => f.slice(0, -ext.length))
    .sort();
}

async function loadCommand(name: string): Promise<Command | null> {
  const file = join(commandsDir, name + ext);
  if (!/^[a-z][a-z0-9-]*$/.test(name) || !existsSync(file)) return null;
  const mod = (await import(pathToFileURL(file).href)) as { default: Command };
  return mod.default;
}

async function help(): Promise<void> {
  const lines = ['speech-ssl <command> [options]', '', 'Commands:'];
  for (const name of commandNames()) {
    const cmd = await loadCommand(name);
    if (cmd) lines.push(`  ${name.padEnd(10)} ${cmd.summary}`);
  }
  lines.push('', 'Run `speech-ssl <command> --help` for its options; `speech-ssl --version` prints the version.');
  process.stdout.write(lines.join('\n') + '\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    await help();
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-v' || name === 'version') {
    process.stdout.write(`speech-ssl ${projectVersion()}\n`);
    return 0;
  }
  const cmd = await loadCommand(name);
  if (!cmd) {
    const near = nearestName(name, commandNames());
    process.stderr.write(`speech-ssl: unknown command "${name}"${near ? ` (did you mean "${near}"?)` : ''} (known: ${commandNames().join(', ')})\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(cmd.usage.trimEnd() + '\n');
    return 0;
  }
  try {
    return await cmd.run(new Args(rest, cmd.booleanFlags ?? []));
  } catch (e) {
    if (e instanceof InputError) {
      process.stderr.write(`speech-ssl ${name}: ${e.message}\n`);
      return 2;
    }
    if (isWriteFailure(e)) {
      // A read-only or full output folder: the environment, not the input (what finished stays).
      process.stderr.write(`speech-ssl ${name}: ${describeWriteFailure(e)}\n`);
      return 1;
    }
    throw e;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`speech-ssl: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
