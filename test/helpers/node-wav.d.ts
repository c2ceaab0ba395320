/** Types for node-wav (it ships none); only what the tests use as an oracle. */
declare module 'node-wav' {
  export interface DecodedWav {
    sampleRate: number;
    channelData: Float32Array[];
  }
  export function decode(buffer: Buffer | ArrayBuffer | Uint8Array): DecodedWav;
  const nodeWav: { decode: typeof decode };
  export default nodeWav;
}
