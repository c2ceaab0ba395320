import { InputError } from '../util/errors.ts';
import type { JsonValue } from '../util/fields.ts';
import type { FrontendConfig, KaldiFbankFrontend, MelSpectrogramFrontend } from './frontend.ts';

/**
 * The ONNX frontend equivalent to a features.json written by `speech-ssl extract`, or an error naming
 * the setting the graph cannot reproduce (no file is written then). The graph implements Kaldi fbank
 * and the HTK-scale mel spectrogram; dither (random), energy columns, mean subtraction, unsnipped edges,
 * deltas, CMVN, MFCC and Meyda descriptors are refused.
 */
export function frontendFromFeatureConfig(c: Record<string, JsonValue>, file: string): FrontendConfig {
  const refuse = (field: string, what: string): never => {
    throw new InputError(`${what}; the ONNX frontend cannot reproduce it (export without --with-frontend, or pass a --frontend-config the graph implements)`, { file, field });
  };
  const num = (k: string): number => {
    const v = c[k];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new InputError(`expected a number, got ${JSON.stringify(v)}`, { file, field: k });
    return v;
  };
  const bool = (k: string): boolean => {
    const v = c[k];
    if (typeof v !== 'boolean') throw new InputError(`expected true or false, got ${JSON.stringify(v)}`, { file, field: k });
    return v;
  };
  if (c.deltas === true) refuse('deltas', 'deltas are appended');
  if (c.cmvn !== undefined && c.cmvn !== 'none') refuse('cmvn', `utterance CMVN "${String(c.cmvn)}" is applied`);
  if (c.vtlnWarp !== undefined && c.vtlnWarp !== 1) refuse('vtlnWarp', `the filterbank is VTLN-warped (${String(c.vtlnWarp)})`);
  const kind = c.features;
  if (kind === 'fbank') {
    if (num('dither') !== 0) refuse('dither', `dither ${num('dither')} adds random noise`);
    if (bool('useEnergy')) refuse('useEnergy', 'an energy column is added');
    if (bool('subtractMean')) refuse('subtractMean', 'the utterance mean is subtracted');
    if (!bool('snipEdges')) refuse('snipEdges', 'frames are not snipped at the edges');
    const windowType = c.windowType;
    if (windowType !== 'povey' && windowType !== 'hann' && windowType !== 'hamming' && windowType !== 'rectangular') refuse('windowType', `window "${String(windowType)}"`);
    const fe: KaldiFbankFrontend = {
      kind: 'kaldi-fbank',
      sampleFrequency: num('sampleFrequency'),
      frameLength: num('frameLength'),
      frameShift: num('frameShift'),
      preemphasisCoefficient: num('preemphasisCoefficient'),
      removeDcOffset: bool('removeDcOffset'),
      windowType: windowType as KaldiFbankFrontend['windowType'],
      roundToPowerOfTwo: bool('roundToPowerOfTwo'),
      numMelBins: num('numMelBins'),
      lowFreq: num('lowFreq'),
      highFreq: num('highFreq'),
      usePower: bool('usePower'),
      useLogFbank: bool('useLogFbank'),
    };
    return fe;
  }
  if (kind === 'melspec') {
    if (c.norm !== 'none') refuse('norm', `filter normalisation "${String(c.norm)}"`);
    if (c.melScale !== 'htk') refuse('melScale', `mel scale "${String(c.melScale)}"`);
    const fe: MelSpectrogramFrontend = {
      kind: 'melspec',
      sampleRate: num('sampleRate'),
      nFft: num('nFft'),
      winLength: num('winLength'),
      hopLength: num('hopLength'),
      fMin: num('fMin'),
      fMax: num('fMax'),
      nMels: num('nMels'),
      power: num('power'),
      center: bool('center'),
      log: bool('log'),
      logOffset: num('logOffset'),
    };
    return fe;
  }
  return refuse('features', `the features are "${String(kind)}"`);
}

/** Input frames per second of a feature configuration (for metadata), or undefined. */
export function featureFrameRate(c: Record<string, JsonValue>): number | undefined {
  if ((c.features === 'fbank' || c.features === 'mfcc') && typeof c.frameShift === 'number') return 1000 / c.frameShift;
  if (c.features === 'melspec' && typeof c.sampleRate === 'number' && typeof c.hopLength === 'number') return c.sampleRate / c.hopLength;
  return undefined;
}
