import { InputError } from '../../util/errors.ts';

/**
 * NIST SPHERE (the format of the LDC's TIMIT .WAV files): an ASCII header ("NIST_1A", the header size,
 * then `name -type value` lines up to `end_head`) followed by raw PCM. The project's decoder reads RIFF
 * WAV and FLAC only, so TIMIT preparation rewrites SPHERE files as 16-bit RIFF WAV with the same samples.
 * Shorten-compressed SPHERE (sample_coding "pcm,embedded-shorten...") is refused with a message.
 */
export interface SphereHeader {
  headerBytes: number;
  sampleRate: number;
  channels: number;
  sampleCount: number;
  bytesPerSample: number;
  bigEndian: boolean;
}

export function isSphere(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && String.fromCharCode(...bytes.subarray(0, 8)) === 'NIST_1A\n';
}

export function parseSphereHeader(bytes: Uint8Array, file: string): SphereHeader {
  if (!isSphere(bytes)) throw new InputError('not a NIST SPHERE file (no "NIST_1A" line)', { file });
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, Math.min(bytes.length, 4096)));
  const lines = head.split('\n');
  const headerBytes = Number(lines[1]?.trim());
  if (!Number.isInteger(headerBytes) || headerBytes < 16 || headerBytes > bytes.length) throw new InputError(`bad SPHERE header size "${lines[1]?.trim()}"`, { file });
  const fields = new Map<string, string>();
  for (const line of lines.slice(2)) {
    if (line.trim() === 'end_head') break;
    const m = /^(\S+)\s+-(i|r|s\d+)\s+(.*)$/.exec(line.trim());
    if (m) fields.set(m[1], m[3].trim());
  }
  const int = (name: string, def?: number): number => {
    const v = fields.get(name);
    if (v === undefined) {
      if (def !== undefined) return def;
      throw new InputError(`SPHERE header has no ${name}`, { file });
    }
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new InputError(`SPHERE ${name}: expected a positive integer, got "${v}"`, { file });
    return n;
  };
  const coding = fields.get('sample_coding') ?? 'pcm';
  if (coding !== 'pcm') throw new InputError(`SPHERE sample_coding "${coding}" is not supported (only uncompressed pcm; decompress shorten files with sph2pipe first)`, { file });
  const bytesPerSample = int('sample_n_bytes', 2);
  if (bytesPerSample !== 2) throw new InputError(`SPHERE sample_n_bytes ${bytesPerSample}: only 16-bit samples are supported`, { file });
  const order = fields.get('sample_byte_format') ?? '01';
  if (order !== '01' && order !== '10') throw new InputError(`SPHERE sample_byte_format "${order}": expected 01 (little-endian) or 10 (big-endian)`, { file });
  const h: SphereHeader = {
    headerBytes,
    sampleRate: int('sample_rate'),
    channels: int('channel_count', 1),
    sampleCount: int('sample_count'),
    bytesPerSample,
    bigEndian: order === '10',
  };
  const need = headerBytes + h.sampleCount * h.channels * bytesPerSample;
  if (bytes.length < need) throw new InputError(`SPHERE header declares ${h.sampleCount} samples (${need} bytes) but the file has ${bytes.length}`, { file });
  return h;
}

/** The same samples as a 16-bit PCM RIFF WAV file. */
export function sphereToWav(bytes: Uint8Array, file: string): Uint8Array {
  const h = parseSphereHeader(bytes, file);
  const dataBytes = h.sampleCount * h.channels * 2;
  const out = new Uint8Array(44 + dataBytes);
  const v = new DataView(out.buffer);
  const ascii = (p: number, s: string) => [...s].forEach((c, i) => (out[p + i] = c.charCodeAt(0)));
  ascii(0, 'RIFF');
  v.setUint32(4, 36 + dataBytes, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  v.setUint32(16, 16, true);
  v.setUint16(20, 1, true);
  v.setUint16(22, h.channels, true);
  v.setUint32(24, h.sampleRate, true);
  v.setUint32(28, h.sampleRate * h.channels * 2, true);
  v.setUint16(32, h.channels * 2, true);
  v.setUint16(34, 16, true);
  ascii(36, 'data');
  v.setUint32(40, dataBytes, true);
  const src = new DataView(bytes.buffer, bytes.byteOffset + h.headerBytes, dataBytes);
  for (let i = 0; i < dataBytes; i += 2) v.setInt16(44 + i, src.getInt16(i, !h.bigEndian), true);
  return out;
}
