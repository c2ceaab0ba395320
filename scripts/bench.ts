/**
 * `npm run bench -- <name> [options]`: runs `scripts/bench/<name>.ts`. Each benchmark prints, as its last
 * line, one JSON object (see ../shared/bench/README.md). Benchmarks report figures; they never fail a build.
 */
import { readdirSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { InputError } from '../src/util/errors.ts';

const dir = join(dirname(fileURLToPath(import.meta.url)), 'bench');
const names = readdirSync(dir).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3)).sort();
const [name, ...rest] = process.argv.slice(2);
if (!name || !existsSync(join(dir, `${name}.ts`))) {
  process.stderr.write(`usage: npm run bench -- <name> [options]\nbenchmarks: ${names.join(', ')}\n`);
  process.exit(name ? 2 : 0);
}
const mod = (await import(pathToFileURL(join(dir, `${name}.ts`)).href)) as { main(argv: string[]): Promise<void> };
try {
  await mod.main(rest);
} catch (e) {
  // A bad option or input: one line, as the CLI gives it, not a stack trace.
  if (!(e instanceof InputError)) throw e;
  process.stderr.write(`bench ${name}: ${e.message}\n`);
  process.exit(2);
}
