/**
 * Failures of the output side: a read-only folder or file system, a full disk, a quota. They are not bad
 * input (exit 2) but the environment refusing the work: commands report each affected file, keep what
 * finished, and end with exit status 1 and a one-line reason instead of a stack trace.
 */
const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large for the file system',
  EIO: 'input/output error',
};

/** A Node error from writing (or creating) a file or folder that the environment refused. */
export function isWriteFailure(e: unknown): e is NodeJS.ErrnoException {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' && code in REASONS;
}

/** `cannot write <path>: no space left on the device (ENOSPC)`. */
export function describeWriteFailure(e: NodeJS.ErrnoException): string {
  const code = e.code ?? '';
  const where = e.path ? ` ${e.path}` : '';
  return `cannot write${where}: ${REASONS[code] ?? e.message} (${code})`;
}
