/**
 * TIMIT's 61 phone symbols (the .PHN alphabet) and the folding to 39 classes of Lee & Hon (1989),
 * "Speaker-independent phone recognition using hidden Markov models", as phone recognition on TIMIT
 * reports it: closures, pauses, epenthetic silence and h# become `sil`; aa/ao, ah/ax/ax-h, er/axr, hh/hv,
 * ih/ix, l/el, m/em, n/en/nx, ng/eng, sh/zh and uw/ux merge. The glottal stop `q` has no class there (it
 * is deleted from transcriptions); for frame labels its frames go to the phone before it (see phoneFrames).
 */
export const TIMIT_61_PHONES = [
  'aa', 'ae', 'ah', 'ao', 'aw', 'ax', 'ax-h', 'axr', 'ay', 'b', 'bcl', 'ch', 'd', 'dcl', 'dh', 'dx',
  'eh', 'el', 'em', 'en', 'eng', 'epi', 'er', 'ey', 'f', 'g', 'gcl', 'h#', 'hh', 'hv', 'ih', 'ix',
  'iy', 'jh', 'k', 'kcl', 'l', 'm', 'n', 'ng', 'nx', 'ow', 'oy', 'p', 'pau', 'pcl', 'q', 'r',
  's', 'sh', 't', 'tcl', 'th', 'uh', 'uw', 'ux', 'v', 'w', 'y', 'z', 'zh',
] as const;

export const TIMIT_39_PHONES = [
  'aa', 'ae', 'ah', 'aw', 'ay', 'b', 'ch', 'd', 'dh', 'dx', 'eh', 'er', 'ey', 'f', 'g', 'hh', 'ih',
  'iy', 'jh', 'k', 'l', 'm', 'n', 'ng', 'ow', 'oy', 'p', 'r', 's', 'sh', 'sil', 't', 'th', 'uh', 'uw',
  'v', 'w', 'y', 'z',
] as const;

const FOLD: Record<string, string> = {
  ao: 'aa', ax: 'ah', 'ax-h': 'ah', axr: 'er', hv: 'hh', ix: 'ih', el: 'l', em: 'm', en: 'n', nx: 'n',
  eng: 'ng', zh: 'sh', ux: 'uw',
  bcl: 'sil', dcl: 'sil', gcl: 'sil', pcl: 'sil', tcl: 'sil', kcl: 'sil', 'h#': 'sil', pau: 'sil', epi: 'sil',
};

export type PhoneSet = '61' | '39';

/** The 39-class symbol of a 61-set symbol; `null` for `q` (no class). Throws on a symbol outside the 61. */
export function foldTo39(phone: string): string | null {
  if (!(TIMIT_61_PHONES as readonly string[]).includes(phone)) throw new Error(`"${phone}" is not one of TIMIT's 61 phones`);
  if (phone === 'q') return null;
  return FOLD[phone] ?? phone;
}

/** Phone -> id in the chosen set's inventory (ids follow the sorted lists above, so they never depend on the data). */
export function phoneIds(set: PhoneSet): Map<string, number> {
  const list: readonly string[] = set === '61' ? TIMIT_61_PHONES : TIMIT_39_PHONES;
  return new Map(list.map((p, i) => [p, i]));
}

export function phoneInventory(set: PhoneSet): readonly string[] {
  return set === '61' ? TIMIT_61_PHONES : TIMIT_39_PHONES;
}
