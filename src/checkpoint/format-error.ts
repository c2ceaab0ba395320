import { InputError } from '../util/errors.ts';

/**
 * A checkpoint file that cannot be read as what it claims to be: truncated, not a zip or pickle, a pickle
 * that asks for a global or an opcode outside the allowed set, a tensor that reaches past its storage.
 * The message starts with the file's path (and, inside a zip, the entry), then says what was wrong.
 * An InputError, so the CLI prints it without a stack trace and exits 2.
 */
export class CheckpointFormatError extends InputError {
  constructor(message: string, file: string) {
    super(message, { file });
    this.name = 'CheckpointFormatError';
  }
}
