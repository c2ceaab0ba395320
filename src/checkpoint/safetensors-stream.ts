import { closeSync, openSync, writeSync } from 'node:fs';

/**
 * Writes a float32 safetensors file (the layout of train/safetensors.ts: u64 header size, JSON header padded
 * with spaces to a multiple of 8, raw little-endian data) one tensor at a time, asking each for its values
 * only when it is written: a 95M-parameter model is written without a second copy of its weights.
 */
export interface StreamedTensor {
  name: string;
  shape: number[];
  values: () => Float32Array;
}

export function writeSafetensorsStreamed(file: string, tensors: StreamedTensor[], metadata: Record<string, string> = {}): void {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const t of tensors) {
    if (t.name === '__metadata__') throw new Error('safetensors: "__metadata__" is reserved');
    const bytes = 4 * t.shape.reduce((a, b) => a * b, 1);
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const head = Buffer.alloc(8 + Buffer.byteLength(json));
  head.writeBigUInt64LE(BigInt(head.length - 8), 0);
  head.write(json, 8, 'utf8');
  const fd = openSync(file, 'w');
  try {
    writeSync(fd, head);
    for (const t of tensors) {
      const v = t.values();
      const count = t.shape.reduce((a, b) => a * b, 1);
      if (v.length !== count) throw new Error(`safetensors: "${t.name}" has shape [${t.shape}] (${count} values) but ${v.length} values`);
      const bytes = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
      for (let pos = 0; pos < bytes.length; ) pos += writeSync(fd, bytes, pos, bytes.length - pos);
    }
  } finally {
    closeSync(fd);
  }
}
