/**
 * A 3x5 pixel bitmap font (upper case, digits, common punctuation) for labelling plots without any
 * font files. Each glyph is five rows, each row an octal digit whose three bits are the pixels left to
 * right. Lower-case letters draw as upper case; unknown characters as a box.
 */
const GLYPHS: Record<string, string> = {
  '0': '75557', '1': '26227', '2': '71747', '3': '71717', '4': '55711', '5': '74717', '6': '74757',
  '7': '71111', '8': '75757', '9': '75717',
  A: '25755', B: '65656', C: '34443', D: '65556', E: '74647', F: '74644', G: '34553', H: '55755',
  I: '72227', J: '11152', K: '55655', L: '44447', M: '57755', N: '65555', O: '25552', P: '65644',
  Q: '25563', R: '65655', S: '34216', T: '72222', U: '55557', V: '55552', W: '55775', X: '55255',
  Y: '55222', Z: '71247',
  ' ': '00000', '.': '00002', ',': '00024', '-': '00700', '+': '02720', ':': '02020', '/': '11244',
  '(': '24442', ')': '21112', '%': '51245', _: '00007', '=': '07070', '[': '64446', ']': '31113',
  '#': '57575', '!': '22202', '?': '71202', "'": '22000', '"': '55000', '<': '12421', '>': '42124',
  '*': '05250', '|': '22222',
};
const BOX = '75557';

export const GLYPH_WIDTH = 3;
export const GLYPH_HEIGHT = 5;

/** Pixel rows of a character: 5 numbers, bit 2 = leftmost pixel. */
export function glyphRows(ch: string): number[] {
  const g = GLYPHS[ch] ?? GLYPHS[ch.toUpperCase()] ?? BOX;
  return [...g].map((d) => Number(d));
}
