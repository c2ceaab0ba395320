/**
 * WAV (RIFF/WAVE) header parsing and sample conversion, block by block so long recordings stream.
 * Integer PCM is scaled by 1 / 2^(bits-1) (8-bit: (b - 128) / 128), as torchaudio.load does; float data is
 * taken as is. The header is checked against the file: a data chunk that claims more bytes than the file
 * holds (a truncated file, or a header that lies about its size) is an error, as are impossible formats.
 * (node-wav, the package the design first named, scales positive samples by 1 / (2^(bits-1) - 1), reads
 * whole files only, rejects WAVE_FORMAT_EXTENSIBLE and misreads lying headers; it serves as a test oracle.)
 */
import { InputError } from '../util/errors.ts';

export type WavEncoding = 'pcm' | 'float';

export interface WavFormat {
  encoding: WavEncoding;
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
  /** Bytes per sample frame (all channels). */
  blockAlign: number;
  /** File offset of the first sample byte. */
  dataOffset: number;
  /** Bytes of whole sample frames in the data chunk. */
  dataBytes: number;
  /** Samples per channel. */
  numFrames: number;
}

/** Reads `length` bytes at `offset` (fewer at the end of the file). */
export type ByteReader = (offset: number, length: number) => Uint8Array;

const FORMAT_PCM = 0x0001;
const FORMAT_FLOAT = 0x0003;
const FORMAT_EXTENSIBLE = 0xfffe;

function fourcc(b: Uint8Array, at: number): string {
  return String.fromCharCode(b[at], b[at + 1], b[at + 2], b[at + 3]);
}

function u32(b: Uint8Array, at: number): number {
  return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16)) + b[at + 3] * 0x1000000;
}

function u16(b: Uint8Array, at: number): number {
  return b[at] | (b[at + 1] << 8);
}

/** Parses the header of a WAV file of `fileSize` bytes; errors are InputErrors naming `file`. */
export function parseWavHeader(read: ByteReader, fileSize: number, file: string): WavFormat {
  const fail = (msg: string): never => {
    throw new InputError(msg, { file });
  };
  const head = read(0, 12);
  if (head.length < 12) fail(`not a WAV file: only ${fileSize} bytes`);
  const magic = fourcc(head, 0);
  if (magic === 'RF64') fail('RF64 (64-bit WAV) is not supported');
  if (magic === 'RIFX') fail('big-endian RIFX WAV is not supported');
  if (magic !== 'RIFF' || fourcc(head, 8) !== 'WAVE') fail('not a WAV file (no RIFF/WAVE header)');
  let pos = 12;
  let fmt: Omit<WavFormat, 'dataOffset' | 'dataBytes' | 'numFrames'> | null = null;
  while (pos + 8 <= fileSize) {
    const ch = read(pos, 8);
    if (ch.length < 8) break;
    const id = fourcc(ch, 0);
    const size = u32(ch, 4);
    if (id === 'fmt ') {
      if (size < 16) fail(`fmt chunk of ${size} bytes is too short (need 16)`);
      const f = read(pos + 8, Math.min(size, 40));
      if (f.length < 16) fail('truncated inside the fmt chunk');
      let tag = u16(f, 0);
      const channels = u16(f, 2);
      const sampleRate = u32(f, 4);
      const blockAlign = u16(f, 12);
      const bits = u16(f, 14);
      if (tag === FORMAT_EXTENSIBLE) {
        if (f.length < 26) fail('WAVE_FORMAT_EXTENSIBLE fmt chunk is too short');
        tag = u16(f, 24);
      }
      if (tag !== FORMAT_PCM && tag !== FORMAT_FLOAT) fail(`unsupported WAV encoding (format tag 0x${tag.toString(16).padStart(4, '0')}; only PCM and IEEE float are read)`);
      const encoding: WavEncoding = tag === FORMAT_FLOAT ? 'float' : 'pcm';
      if (channels < 1) fail('header declares 0 channels');
      if (sampleRate < 1) fail('header declares a sample rate of 0');
      const okBits = encoding === 'pcm' ? [8, 16, 24, 32] : [32, 64];
      if (!okBits.includes(bits)) fail(`unsupported ${encoding} bit depth ${bits} (expected ${okBits.join('/')})`);
      const expectAlign = (channels * bits) / 8;
      if (blockAlign !== expectAlign) fail(`header is inconsistent: block align ${blockAlign}, but ${channels} channels of ${bits} bits need ${expectAlign}`);
      fmt = { encoding, channels, sampleRate, bitsPerSample: bits, blockAlign };
    } else if (id === 'data') {
      if (!fmt) fail('data chunk comes before any fmt chunk');
      const f = fmt!;
      const dataOffset = pos + 8;
      const available = fileSize - dataOffset;
      if (size > available) fail(`data chunk declares ${size} bytes but only ${available} follow (truncated file, or a header that lies about its size)`);
      const numFrames = Math.floor(size / f.blockAlign);
      if (numFrames === 0) fail('no samples (empty data chunk)');
      return { ...f, dataOffset, dataBytes: numFrames * f.blockAlign, numFrames };
    }
    pos += 8 + size + (size & 1);
  }
  return fail(fmt ? 'no data chunk (truncated file?)' : 'no fmt chunk (truncated file?)');
}

/**
 * Converts `bytes` (whole sample frames in the format `fmt`) to a mono float32 signal (channel mean),
 * checking every value is finite. `firstFrame` numbers the frames in error messages.
 */
export function wavBytesToMono(bytes: Uint8Array, fmt: WavFormat, file: string, firstFrame = 0): Float32Array {
  const { channels, bitsPerSample, encoding } = fmt;
  const frames = Math.floor(bytes.length / fmt.blockAlign);
  const out = new Float32Array(frames);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const total = frames * channels;
  const inv = 1 / channels;
  if (encoding === 'pcm' && bitsPerSample === 16) {
    const aligned = bytes.byteOffset % 2 === 0;
    const ints = aligned ? new Int16Array(bytes.buffer, bytes.byteOffset, total) : null;
    if (channels === 1) {
      for (let i = 0; i < frames; i++) out[i] = (ints ? ints[i] : view.getInt16(2 * i, true)) / 32768;
      return out;
    }
    for (let i = 0, k = 0; i < frames; i++) {
      let s = 0;
      for (let c = 0; c < channels; c++, k++) s += (ints ? ints[k] : view.getInt16(2 * k, true)) / 32768;
      out[i] = s * inv;
    }
    return out;
  }
  const bytesPer = bitsPerSample / 8;
  for (let i = 0, k = 0; i < frames; i++) {
    let s = 0;
    for (let c = 0; c < channels; c++, k++) {
      const at = k * bytesPer;
      let v: number;
      if (encoding === 'float') {
        v = bitsPerSample === 32 ? view.getFloat32(at, true) : view.getFloat64(at, true);
        if (!Number.isFinite(v)) throw new InputError(`sample ${firstFrame + i} (channel ${c}) is ${v} (NaN/Inf samples are not audio)`, { file });
      } else if (bitsPerSample === 8) {
        v = (bytes[at] - 128) / 128;
      } else if (bitsPerSample === 24) {
        let q = bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16);
        if (q & 0x800000) q -= 0x1000000;
        v = q / 8388608;
      } else {
        v = view.getInt32(at, true) / 2147483648;
      }
      s += v;
    }
    out[i] = channels === 1 ? s : s * inv;
  }
  if (encoding === 'float' && bitsPerSample === 64) {
    // Values finite in float64 may overflow float32.
    for (let i = 0; i < frames; i++) if (!Number.isFinite(out[i])) throw new InputError(`sample ${firstFrame + i} overflows float32 (${out[i]})`, { file });
  }
  return out;
}

/** Converts to separate float channels (for library callers that want them). */
export function wavBytesToChannels(bytes: Uint8Array, fmt: WavFormat, file: string): Float32Array[] {
  const single: WavFormat = { ...fmt, channels: 1, blockAlign: fmt.bitsPerSample / 8 };
  const frames = Math.floor(bytes.length / fmt.blockAlign);
  const out: Float32Array[] = [];
  const bytesPer = fmt.bitsPerSample / 8;
  for (let c = 0; c < fmt.channels; c++) {
    const plane = new Uint8Array(frames * bytesPer);
    for (let i = 0; i < frames; i++) plane.set(bytes.subarray(i * fmt.blockAlign + c * bytesPer, i * fmt.blockAlign + (c + 1) * bytesPer), i * bytesPer);
    out.push(wavBytesToMono(plane, single, file));
  }
  return out;
}
