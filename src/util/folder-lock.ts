/**
 * One process at a time per output folder: `acquireFolderLock(dir)` creates `<dir>/.lock` exclusively,
 * holding the owner's pid, host, start time and command. A second process is refused with a message
 * naming the holder while that process runs; a lock whose process is gone (killed with SIGKILL, a crash)
 * is taken over, saying so. The lock is removed on release and, as a last resort, when the process exits.
 */
import { closeSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { InputError } from './errors.ts';
import { processAlive, tempPathFor } from './atomic.ts';

export const LOCK_FILE = '.lock';

interface LockInfo {
  pid: number;
  host: string;
  started: string;
  command: string;
}

export interface FolderLock {
  readonly file: string;
  /** The dead owner whose lock was taken over, if any. */
  readonly tookOverFrom?: LockInfo;
  release(): void;
}

function readLock(file: string): { text: string; info: LockInfo | null } | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  try {
    const j = JSON.parse(text) as LockInfo;
    return { text, info: Number.isInteger(j.pid) ? j : null };
  } catch {
    return { text, info: null };
  }
}

/** Takes `<dir>/.lock` for `command`; throws an InputError naming the holder when a live process has it. */
export function acquireFolderLock(dir: string, command: string): FolderLock {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, LOCK_FILE);
  const mine: LockInfo = { pid: process.pid, host: hostname(), started: new Date().toISOString(), command };
  let tookOverFrom: LockInfo | undefined;
  for (let attempt = 0; attempt < 5; attempt++) {
    // Written whole under a unique name, then linked into place: the lock never exists half-written.
    const tmp = tempPathFor(file);
    const fd = openSync(tmp, 'wx');
    try {
      writeSync(fd, JSON.stringify(mine) + '\n');
    } finally {
      closeSync(fd);
    }
    try {
      linkSync(tmp, file);
      rmSync(tmp, { force: true });
      let released = false;
      const onExit = () => release();
      const release = () => {
        if (released) return;
        released = true;
        process.off('exit', onExit);
        const now = readLock(file);
        if (now?.info?.pid === process.pid) rmSync(file, { force: true });
      };
      process.on('exit', onExit);
      return { file, tookOverFrom, release };
    } catch (e) {
      rmSync(tmp, { force: true });
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const held = readLock(file);
    if (!held) continue; // released meanwhile
    const h = held.info;
    const sameHost = h !== null && h.host === mine.host;
    if (h && (!sameHost || processAlive(h.pid))) {
      const where = sameHost ? `process ${h.pid}` : `process ${h.pid} on ${h.host} (if it is gone, delete ${file})`;
      throw new InputError(`is in use by ${where}, \`${h.command}\` since ${h.started}; wait for it to finish or choose another folder`, { file: dir });
    }
    // The owner is gone (or the lock is unreadable): move it aside under a unique name, check it is still
    // the lock we judged (another process may have taken it over in between), and try again.
    const aside = tempPathFor(file);
    try {
      renameSync(file, aside);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw e;
    }
    const moved = readLock(aside);
    if (moved && moved.text !== held.text) {
      // We moved a fresh lock of another process: put it back and let the next round judge it.
      try {
        linkSync(aside, file);
      } catch {
        /* a third process holds it now; the next round reads that one */
      }
    } else if (h) tookOverFrom = h;
    rmSync(aside, { force: true });
  }
  throw new InputError('could not take the folder lock (other processes keep taking it)', { file: join(dir, LOCK_FILE) });
}
