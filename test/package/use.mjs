// The package as a plain JavaScript consumer uses it (no tsx, no TypeScript): decode a WAV, resample to
// 16 kHz, compute 80-bin Kaldi fbank. Run by .ci/package-check from a project that installed the tarball.
import { decodeAudio, resample, kaldiFbank } from 'speech-ssl';

const wav = process.argv[2];
const audio = await decodeAudio(wav);
const wave = resample(audio.mono, audio.sampleRate, 16000);
const fbank = kaldiFbank(wave, { numMelBins: 80 });
if (fbank.dims !== 80 || fbank.frames < 1 || !fbank.data.every(Number.isFinite)) {
  throw new Error(`unexpected fbank: ${fbank.frames} x ${fbank.dims}`);
}
console.log(`fbank ${fbank.frames} x ${fbank.dims} from ${audio.sampleRate} Hz, first ${fbank.data[0].toFixed(4)}`);
