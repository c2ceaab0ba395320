/**
 * One API for reading recordings, WAV or FLAC (recognised by their first bytes, not their names):
 * - `probeAudio(path)`: format, rate, channels and length from the header alone;
 * - `readAudioBlocks(path)`: the mono signal (channel mean) in blocks, for bounded-memory streaming;
 * - `decodeAudio(path | bytes)`: the whole signal, every channel, plus its mono mix.
 * Every problem (unreadable path, unknown format, truncation, a lying header, no samples, NaN/Inf) is an
 * InputError naming the file.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { InputError, errorMessage } from '../util/errors.ts';
import { parseWavHeader, wavBytesToChannels, wavBytesToMono, type ByteReader, type WavFormat } from './wav.ts';
import { decodeFlacStream, parseFlacHeader, type FlacInfo } from './flac.ts';
import { checkSampleRate } from './sample-rate.ts';

export type AudioFormatName = 'wav' | 'flac';

export interface AudioInfo {
  format: AudioFormatName;
  sampleRate: number;
  channels: number;
  /** Samples per channel as the header declares (FLAC: 0 when STREAMINFO leaves it unknown). */
  numFrames: number;
  bitsPerSample: number;
  /** Duration in seconds (0 when unknown). */
  seconds: number;
}

export interface DecodedAudio {
  info: AudioInfo;
  sampleRate: number;
  /** One array per channel, values in [-1, 1] for integer formats. */
  channelData: Float32Array[];
  /** Channel mean. */
  mono: Float32Array;
}

/** Audio file extensions a folder scan picks up. */
export const AUDIO_EXTENSIONS = ['.wav', '.flac'];

/** Random access to a file or an in-memory buffer. */
interface Source {
  name: string;
  size: number;
  read: ByteReader;
  close(): void;
}

function openSource(input: string | Uint8Array, name?: string): Source {
  if (typeof input !== 'string') {
    return { name: name ?? '<buffer>', size: input.length, read: (o, l) => input.subarray(o, Math.min(input.length, o + l)), close: () => {} };
  }
  let fd: number;
  let size: number;
  try {
    fd = openSync(input, 'r');
    const st = fstatSync(fd);
    if (st.isDirectory()) {
      closeSync(fd);
      throw new Error('is a directory');
    }
    size = st.size;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' && input.includes('\uFFFD')) {
      // A folder scan decodes names as UTF-8; bytes that are not UTF-8 become U+FFFD and the path no longer exists.
      throw new InputError('cannot read: the file name is not valid UTF-8 (its undecodable bytes show as \uFFFD); rename the file', { file: input });
    }
    throw new InputError(`cannot read: ${errorMessage(e)}`, { file: input });
  }
  // The first 64 KiB (the whole of most utterances) in one read; headers and small files come from it.
  const headLen = Math.min(size, 65536);
  const head = new Uint8Array(headLen);
  let headGot = 0;
  try {
    while (headGot < headLen) {
      const r = readSync(fd, head, headGot, headLen - headGot, headGot);
      if (r === 0) break;
      headGot += r;
    }
  } catch (e) {
    closeSync(fd);
    throw new InputError(`cannot read: ${errorMessage(e)}`, { file: input });
  }
  const read: ByteReader = (offset, length) => {
    if (offset + length <= headGot) return head.subarray(offset, offset + length);
    if (offset >= size) return new Uint8Array(0);
    if (offset < headGot && size <= headGot) return head.subarray(offset, headGot);
    const n = Math.max(0, Math.min(length, size - offset));
    const buf = new Uint8Array(n);
    let got = 0;
    try {
      while (got < n) {
        const r = readSync(fd, buf, got, n - got, offset + got);
        if (r === 0) break;
        got += r;
      }
    } catch (e) {
      throw new InputError(`read failed at byte ${offset}: ${errorMessage(e)}`, { file: input });
    }
    return got === n ? buf : buf.subarray(0, got);
  };
  return { name: input, size, read, close: () => closeSync(fd) };
}

type Header = { format: 'wav'; wav: WavFormat } | { format: 'flac'; flac: FlacInfo };

function readHeader(src: Source): Header {
  if (src.size === 0) throw new InputError('empty file (0 bytes)', { file: src.name });
  const magic = src.read(0, 4);
  const tag = String.fromCharCode(...magic);
  let h: Header;
  if (tag === 'RIFF' || tag === 'RF64' || tag === 'RIFX') h = { format: 'wav', wav: parseWavHeader(src.read, src.size, src.name) };
  else if (tag === 'fLaC' || (tag.startsWith('ID3') && id3Wraps(src, 'fLaC'))) h = { format: 'flac', flac: parseFlacHeader(src.read, src.size, src.name) };
  else {
    const hex = Array.from(magic, (b) => b.toString(16).padStart(2, '0')).join(' ');
    const looksMp3 = tag.startsWith('ID3') || (magic.length >= 2 && magic[0] === 0xff && (magic[1] & 0xe0) === 0xe0);
    const what = looksMp3 ? 'an MPEG audio (MP3) file' : `starts with bytes ${hex}`;
    throw new InputError(`not a WAV or FLAC file (${what}); only WAV and FLAC are read, whatever the file name`, { file: src.name });
  }
  checkSampleRate(h.format === 'wav' ? h.wav.sampleRate : h.flac.sampleRate, src.name);
  return h;
}

/** Whether an ID3v2 tag at the start is followed by `marker` (FLAC files may carry one; MP3s usually do). */
function id3Wraps(src: Source, marker: string): boolean {
  const id3 = src.read(0, 10);
  if (id3.length < 10) return false;
  const end = 10 + ((id3[6] & 0x7f) << 21) + ((id3[7] & 0x7f) << 14) + ((id3[8] & 0x7f) << 7) + (id3[9] & 0x7f);
  return String.fromCharCode(...src.read(end, 4)) === marker;
}

function infoOf(h: Header): AudioInfo {
  const f = h.format === 'wav' ? h.wav : h.flac;
  return {
    format: h.format,
    sampleRate: f.sampleRate,
    channels: f.channels,
    numFrames: f.numFrames,
    bitsPerSample: f.bitsPerSample,
    seconds: f.numFrames / f.sampleRate,
  };
}

/** Format, rate, channels and declared length, from the header (the samples are not read). */
export function probeAudio(input: string | Uint8Array, name?: string): AudioInfo {
  const src = openSource(input, name);
  try {
    return infoOf(readHeader(src));
  } finally {
    src.close();
  }
}

function mixToMono(channels: Float32Array[]): Float32Array {
  if (channels.length === 1) return channels[0];
  const n = channels[0].length;
  const out = new Float32Array(n);
  const inv = 1 / channels.length;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (const c of channels) s += c[i];
    out[i] = s * inv;
  }
  return out;
}

export interface BlockOptions {
  /** Sample frames per WAV block (default 65536). */
  blockFrames?: number;
  /** Compressed bytes per FLAC read (default 1 MiB). */
  flacChunkBytes?: number;
}

/**
 * Streams the mono signal: `onInfo` once with the header, then `onBlock` for each block in order.
 * Memory stays bounded by the block size whatever the file length.
 */
export async function readAudioBlocks(input: string | Uint8Array, onInfo: (info: AudioInfo) => void, onBlock: (mono: Float32Array) => void, options: BlockOptions = {}, name?: string): Promise<AudioInfo> {
  const src = openSource(input, name);
  try {
    const h = readHeader(src);
    const info = infoOf(h);
    onInfo(info);
    if (h.format === 'wav') {
      const w = h.wav;
      const blockBytes = (options.blockFrames ?? 65536) * w.blockAlign;
      for (let off = 0; off < w.dataBytes; off += blockBytes) {
        const want = Math.min(blockBytes, w.dataBytes - off);
        const bytes = src.read(w.dataOffset + off, want);
        if (bytes.length < want) throw new InputError(`file shrank while reading (expected ${want} bytes at ${w.dataOffset + off})`, { file: src.name });
        onBlock(wavBytesToMono(bytes, w, src.name, off / w.blockAlign));
      }
    } else {
      await decodeFlacStream(src.read, src.size, h.flac, src.name, (chans) => onBlock(mixToMono(chans)), options.flacChunkBytes);
    }
    return info;
  } finally {
    src.close();
  }
}

/** Decodes a whole file or buffer: every channel and the mono mix. */
export async function decodeAudio(input: string | Uint8Array, name?: string): Promise<DecodedAudio> {
  const src = openSource(input, name);
  try {
    const h = readHeader(src);
    const info = infoOf(h);
    let channelData: Float32Array[];
    if (h.format === 'wav') {
      const w = h.wav;
      const bytes = src.read(w.dataOffset, w.dataBytes);
      channelData = w.channels === 1 ? [wavBytesToMono(bytes, w, src.name)] : wavBytesToChannels(bytes, w, src.name);
    } else {
      const parts: Float32Array[][] = [];
      await decodeFlacStream(src.read, src.size, h.flac, src.name, (chans) => parts.push(chans));
      channelData = [];
      for (let c = 0; c < h.flac.channels; c++) {
        const n = parts.reduce((a, p) => a + p[c].length, 0);
        const out = new Float32Array(n);
        let o = 0;
        for (const p of parts) {
          out.set(p[c], o);
          o += p[c].length;
        }
        channelData.push(out);
      }
    }
    const decodedInfo = { ...info, numFrames: channelData[0].length, seconds: channelData[0].length / info.sampleRate };
    return { info: decodedInfo, sampleRate: info.sampleRate, channelData, mono: mixToMono(channelData) };
  } finally {
    src.close();
  }
}
