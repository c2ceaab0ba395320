import type { ConvLayerSpec } from '../../models/conv-stack.ts';

/**
 * fairseq's `conv_feature_layers` (and s3prl's `extractor_conv_feature_layers`) is the text of a Python
 * expression, e.g. `[(512, 10, 5)] + [(512, 3, 2)] * 4 + [(512,2,2)] * 2`. fairseq evaluates it; here it is
 * parsed as data by this grammar, and anything else is an error naming the position:
 *   expr  := term ('+' term)*
 *   term  := list ('*' int)? | int '*' list
 *   list  := '[' (tuple (',' tuple)* ','?)? ']'
 *   tuple := '(' int ',' int ',' int ','? ')'        (channels, kernel, stride)
 */
export function parseConvLayers(text: string): ConvLayerSpec[] {
  let pos = 0;
  const fail = (what: string): never => {
    throw new Error(`conv layer list "${text}": expected ${what} at character ${pos + 1}`);
  };
  const skip = () => {
    while (pos < text.length && /\s/.test(text[pos])) pos++;
  };
  const peek = (): string => (skip(), text[pos] ?? '');
  const eat = (ch: string) => {
    if (peek() !== ch) fail(`"${ch}"`);
    pos++;
  };
  const int = (): number => {
    skip();
    const m = /^\d+/.exec(text.slice(pos));
    if (!m) fail('a whole number');
    pos += m![0].length;
    return Number(m![0]);
  };
  const tuple = (): ConvLayerSpec => {
    eat('(');
    const channels = int();
    eat(',');
    const kernel = int();
    eat(',');
    const stride = int();
    if (peek() === ',') pos++;
    eat(')');
    if (channels < 1 || kernel < 1 || stride < 1) fail('positive (channels, kernel, stride)');
    return { channels, kernel, stride };
  };
  const list = (): ConvLayerSpec[] => {
    eat('[');
    const items: ConvLayerSpec[] = [];
    while (peek() !== ']') {
      items.push(tuple());
      if (peek() === ',') pos++;
      else if (peek() !== ']') fail('"," or "]"');
    }
    eat(']');
    return items;
  };
  const repeat = (items: ConvLayerSpec[], n: number) => Array.from({ length: n }, () => items.map((l) => ({ ...l }))).flat();
  const term = (): ConvLayerSpec[] => {
    if (/\d/.test(peek())) {
      const n = int();
      eat('*');
      return repeat(list(), n);
    }
    const items = list();
    if (peek() === '*') {
      pos++;
      return repeat(items, int());
    }
    return items;
  };
  const layers = term();
  while (peek() === '+') {
    pos++;
    layers.push(...term());
  }
  if (peek() !== '') fail('"+" or the end');
  if (layers.length === 0) throw new Error(`conv layer list "${text}": no layers`);
  return layers;
}
