/**
 * An error caused by the user's input (a file, a config field, a CLI flag), as opposed to a bug.
 * The message always names what was wrong and where; the CLI prints it without a stack trace.
 */
export class InputError extends Error {
  readonly file?: string;
  readonly field?: string;
  constructor(message: string, where: { file?: string; field?: string } = {}) {
    const prefix = [where.file, where.field].filter(Boolean).join(': ');
    super(prefix ? `${prefix}: ${message}` : message);
    this.name = 'InputError';
    this.file = where.file;
    this.field = where.field;
  }
}

/** The message of anything thrown, for one-line reports. */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
