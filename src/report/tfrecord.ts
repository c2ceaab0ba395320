import { maskedCrc32c } from './crc32c.ts';
import { InputError } from '../util/errors.ts';

/**
 * TFRecord framing, the container of TensorBoard event files. Each record is
 *   uint64 length (little-endian) · uint32 masked CRC-32C of those 8 bytes · payload · uint32 masked
 *   CRC-32C of the payload
 * so a reader can tell a record cut short by a kill (an incomplete last record) from a corrupt one.
 */
export function frameRecord(payload: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + payload.length + 4);
  out.writeBigUInt64LE(BigInt(payload.length), 0);
  out.writeUInt32LE(maskedCrc32c(out.subarray(0, 8)), 8);
  out.set(payload, 12);
  out.writeUInt32LE(maskedCrc32c(payload), 12 + payload.length);
  return out;
}

export interface ReadRecords {
  records: Buffer[];
  /** Bytes at the end that do not make a whole record (a write cut short), 0 for a clean file. */
  trailing: number;
}

/**
 * The payloads of a TFRecord file's bytes, each checksum verified. A corrupt length or payload is an
 * error naming `file` and the byte offset; an incomplete last record is reported in `trailing`.
 */
export function readRecords(bytes: Buffer, file: string): ReadRecords {
  const records: Buffer[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (bytes.length - at < 12) break;
    const lenBytes = bytes.subarray(at, at + 8);
    if (bytes.readUInt32LE(at + 8) !== maskedCrc32c(lenBytes)) throw new InputError(`record at byte ${at}: the length's CRC-32C does not match (not a TFRecord file, or corrupt)`, { file });
    const len = Number(bytes.readBigUInt64LE(at));
    if (bytes.length - at < 16 + len) break;
    const payload = bytes.subarray(at + 12, at + 12 + len);
    if (bytes.readUInt32LE(at + 12 + len) !== maskedCrc32c(payload)) throw new InputError(`record at byte ${at}: the payload's CRC-32C does not match (corrupt)`, { file });
    records.push(payload);
    at += 16 + len;
  }
  return { records, trailing: bytes.length - at };
}
