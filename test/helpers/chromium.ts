import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Headless Chromium for the report's page tests (Debian's `chromium` package; CI installs it). Not
 * finding it is a failure, not a skip: set CHROMIUM to its path where it is not on PATH as `chromium`.
 */
export function chromiumPath(): string {
  const candidates = [process.env.CHROMIUM, 'chromium', 'chromium-browser', 'google-chrome'].filter((c): c is string => Boolean(c));
  for (const c of candidates) {
    const r = spawnSync(c, ['--version'], { encoding: 'utf8' });
    if (r.status === 0 && /chrom/i.test(r.stdout)) return c;
  }
  throw new Error(`no headless Chromium found (tried ${candidates.join(', ')}): install Debian's chromium package (apt-get install -y chromium) or set CHROMIUM`);
}

/** Runs Chromium headless on `url` with `args` in a fresh profile; returns stdout. */
export function runChromium(url: string, args: string[], timeoutMs = 120_000): string {
  const profile = mkdtempSync(join(tmpdir(), 'chromium-profile-'));
  try {
    const r = spawnSync(
      chromiumPath(),
      ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--hide-scrollbars', `--user-data-dir=${profile}`, ...args, url],
      { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 << 20 },
    );
    if (r.status !== 0) throw new Error(`chromium exited ${r.status ?? r.signal}: ${r.stderr.slice(-2000)}`);
    return r.stdout;
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}
