/**
 * FLAC through @wasm-audio-decoders/flac (libFLAC compiled to WebAssembly), streamed: the file is fed in
 * chunks and decoded frames come back as they complete. STREAMINFO is parsed here for the sample count, so
 * a truncated file (fewer samples than declared) is an error rather than silently short audio. The decoder
 * scales integers by 1 / (2^(bits-1) - 1); samples are rescaled to torchaudio's 1 / 2^(bits-1).
 *
 * The package's frame parser (codec-parser) can drop the last frame on flush; a copy of the first frame
 * header is fed after the data instead, so the last real frame is delimited and checked (CRC-16) like the
 * others, and the parser state is then discarded.
 */
import { FLACDecoder } from '@wasm-audio-decoders/flac';
import { InputError } from '../util/errors.ts';
import type { ByteReader } from './wav.ts';

export interface FlacInfo {
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  /** Samples per channel from STREAMINFO (0 = unknown). */
  numFrames: number;
  /** File offset of the first audio frame (after the metadata blocks). */
  audioOffset: number;
}

/** Parses the fLaC marker and metadata blocks (skipping a leading ID3v2 tag). */
export function parseFlacHeader(read: ByteReader, fileSize: number, file: string): FlacInfo {
  const fail = (msg: string): never => {
    throw new InputError(msg, { file });
  };
  let pos = 0;
  const id3 = read(0, 10);
  if (id3.length >= 10 && id3[0] === 0x49 && id3[1] === 0x44 && id3[2] === 0x33) {
    pos = 10 + ((id3[6] & 0x7f) << 21) + ((id3[7] & 0x7f) << 14) + ((id3[8] & 0x7f) << 7) + (id3[9] & 0x7f);
  }
  const marker = read(pos, 4);
  if (String.fromCharCode(...marker) !== 'fLaC') fail('not a FLAC file (no fLaC marker)');
  pos += 4;
  let info: Omit<FlacInfo, 'audioOffset'> | null = null;
  for (;;) {
    const h = read(pos, 4);
    if (h.length < 4) fail('truncated inside the FLAC metadata');
    const last = (h[0] & 0x80) !== 0;
    const type = h[0] & 0x7f;
    const len = (h[1] << 16) | (h[2] << 8) | h[3];
    if (pos + 4 + len > fileSize) fail(`metadata block of ${len} bytes runs past the end of the file (truncated?)`);
    if (type === 0) {
      if (len < 34) fail(`STREAMINFO of ${len} bytes is too short (need 34)`);
      const s = read(pos + 4, 18);
      const sampleRate = (s[10] << 12) | (s[11] << 4) | (s[12] >> 4);
      const channels = ((s[12] >> 1) & 0x07) + 1;
      const bitsPerSample = (((s[12] & 0x01) << 4) | (s[13] >> 4)) + 1;
      const numFrames = (s[13] & 0x0f) * 2 ** 32 + ((s[14] << 24) >>> 0) + (s[15] << 16) + (s[16] << 8) + s[17];
      if (sampleRate === 0) fail('STREAMINFO declares a sample rate of 0');
      info = { sampleRate, channels, bitsPerSample, numFrames };
    } else if (type === 127) {
      fail('invalid FLAC metadata block type 127');
    }
    pos += 4 + len;
    if (last) break;
  }
  if (!info) return fail('no STREAMINFO block');
  if (pos >= fileSize) fail('no audio frames after the metadata (truncated or empty file)');
  return { ...info, audioOffset: pos };
}

/** Length of the frame header at the start of `b` (sync, codes, UTF-8 number, optional fields, CRC-8). */
function frameHeaderLength(b: Uint8Array): number {
  if (b.length < 5 || b[0] !== 0xff || (b[1] & 0xfe) !== 0xf8) return 0;
  let len = 4;
  const lead = b[4];
  let utf = 1;
  if (lead >= 0x80) {
    utf = 0;
    for (let mask = 0x80; lead & mask; mask >>= 1) utf++;
  }
  len += utf;
  const bs = b[2] >> 4;
  if (bs === 6) len += 1;
  else if (bs === 7) len += 2;
  const sr = b[2] & 0x0f;
  if (sr === 12) len += 1;
  else if (sr === 13 || sr === 14) len += 2;
  return len + 1;
}

let shared: FLACDecoder | null = null;

/** One decoder per thread, reused across files (compiling the module costs more than a file). */
async function decoder(): Promise<FLACDecoder> {
  if (!shared) {
    shared = new FLACDecoder();
    await shared.ready;
  }
  return shared;
}

interface Decoded {
  channelData: Float32Array[];
  samplesDecoded: number;
  errors: { message: string }[];
}

/** Runs a decoder call with its console.error chatter captured (it reports errors there and in `errors`). */
async function quietly(call: () => Promise<Decoded>): Promise<{ result: Decoded; logged: string[] }> {
  const logged: string[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => {
    logged.push(args.map(String).join(' ').replace(/\s+/g, ' ').trim());
  };
  let pending: Promise<Decoded>;
  try {
    pending = call();
  } finally {
    console.error = original;
  }
  return { result: await pending, logged };
}

/**
 * Decodes the audio frames of a FLAC file in chunks of `chunkBytes`, calling `onBlock` with each batch
 * of decoded channels (float32, torchaudio's scale). Throws an InputError on decoder errors or when fewer
 * samples than STREAMINFO declares come out.
 */
export async function decodeFlacStream(read: ByteReader, fileSize: number, info: FlacInfo, file: string, onBlock: (channels: Float32Array[]) => void, chunkBytes = 1 << 20): Promise<void> {
  const dec = await decoder();
  await dec.reset();
  const intScale = info.bitsPerSample <= 24 ? 2 ** (info.bitsPerSample - 1) - 1 : 0;
  const outScale = 1 / 2 ** (info.bitsPerSample - 1);
  let total = 0;
  const handle = (d: Decoded, logged: string[]): void => {
    if (d.errors.length > 0 || logged.length > 0) {
      const msg = d.errors[0]?.message ?? logged[0];
      throw new InputError(`FLAC decoding failed after ${total} samples: ${msg}`, { file });
    }
    if (d.samplesDecoded === 0) return;
    if (d.channelData.length !== info.channels) throw new InputError(`frame has ${d.channelData.length} channels, STREAMINFO says ${info.channels}`, { file });
    const chans = d.channelData.map((c) => {
      const out = new Float32Array(d.samplesDecoded);
      if (intScale) for (let i = 0; i < out.length; i++) out[i] = Math.round(c[i] * intScale) * outScale;
      else for (let i = 0; i < out.length; i++) out[i] = (c[i] * (2 ** 31 - 1)) / 2 ** 31;
      return out;
    });
    total += d.samplesDecoded;
    onBlock(chans);
  };
  const firstHeader = read(info.audioOffset, 16);
  const headerLen = frameHeaderLength(firstHeader);
  if (headerLen === 0) throw new InputError(`no FLAC frame sync at byte ${info.audioOffset} after the metadata`, { file });
  const terminator = new Uint8Array(headerLen + 16);
  terminator.set(firstHeader.subarray(0, headerLen));
  try {
    for (let pos = info.audioOffset; pos < fileSize; pos += chunkBytes) {
      const bytes = read(pos, Math.min(chunkBytes, fileSize - pos));
      const { result, logged } = await quietly(() => dec.decode(bytes));
      handle(result, logged);
    }
    const { result, logged } = await quietly(() => dec.decode(terminator));
    handle(result, logged);
  } finally {
    await dec.reset();
  }
  if (total === 0) throw new InputError('no samples decoded (empty or corrupt FLAC stream)', { file });
  if (info.numFrames > 0 && total < info.numFrames) throw new InputError(`truncated or corrupt: STREAMINFO declares ${info.numFrames} samples, only ${total} decoded`, { file });
}
