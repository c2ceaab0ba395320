/**
 * The README's command examples and the rule that compares their shown output with a real run.
 *
 * An example is a line `$ COMMAND` inside a fenced code block; the lines after it, up to the next `$ `
 * line or the end of the block, are the output it shows (stdout and stderr together). Comparison is line by
 * line, runs of spaces matching any run of spaces, with two marks for what legitimately varies:
 *   - `~` before a figure (`~12.2 s`, `~365x`, `~4.94`) matches any number there (times, speeds, and
 *     training figures that depend on the backend's float rounding);
 *   - `...` as a whole line matches any number of lines (zero or more); inside a line, it matches any text.
 * Every other character, figures included, must be what the command prints.
 */
export interface ReadmeExample {
  /** 1-based line of the `$ ` line in the README. */
  line: number;
  command: string;
  expected: string[];
}

export function readmeExamples(markdown: string): ReadmeExample[] {
  const lines = markdown.split('\n');
  const out: ReadmeExample[] = [];
  let inFence = false;
  let current: ReadmeExample | null = null;
  lines.forEach((text, i) => {
    if (/^```/.test(text)) {
      inFence = !inFence;
      current = null;
      return;
    }
    if (!inFence) return;
    if (text.startsWith('$ ')) {
      current = { line: i + 1, command: text.slice(2).trim(), expected: [] };
      out.push(current);
    } else if (current) {
      current.expected.push(text);
    }
  });
  return out;
}

const NUMBER = String.raw`[-+]?(?:\d[\d,]*(?:\.\d+)?|\.\d+)(?:e[-+]?\d+)?`;

/** The regular expression one shown line stands for. */
export function lineRegex(expected: string): RegExp {
  let re = '';
  const s = expected.trimEnd();
  for (let i = 0; i < s.length; ) {
    const rest = s.slice(i);
    const figure = new RegExp(`^~${NUMBER}`, 'i').exec(rest);
    if (figure) {
      re += NUMBER;
      i += figure[0].length;
    } else if (rest.startsWith('...')) {
      re += '.*';
      i += 3;
    } else if (/^\s/.test(rest)) {
      const ws = /^\s+/.exec(rest)![0];
      re += String.raw`\s+`;
      i += ws.length;
    } else {
      re += s[i].replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      i += 1;
    }
  }
  return new RegExp(`^${re}\\s*$`, 'i');
}

/** null when `actual` (the lines a command printed) matches the shown lines, else what differs. */
export function compareOutput(expected: string[], actual: string[]): string | null {
  const exp = trimBlank(expected);
  const act = trimBlank(actual);
  const memo = new Map<string, boolean>();
  const match = (e: number, a: number): boolean => {
    const key = `${e},${a}`;
    const hit = memo.get(key);
    if (hit !== undefined) return hit;
    let ok: boolean;
    if (e === exp.length) ok = a === act.length;
    else if (exp[e].trim() === '...') ok = match(e + 1, a) || (a < act.length && match(e, a + 1));
    else ok = a < act.length && lineRegex(exp[e]).test(act[a]) && match(e + 1, a + 1);
    memo.set(key, ok);
    return ok;
  };
  if (match(0, 0)) return null;
  // Name the first shown line that no printed line in order matches, for the failure message.
  let a = 0;
  for (const line of exp) {
    if (line.trim() === '...') continue;
    const re = lineRegex(line);
    const at = act.findIndex((x, j) => j >= a && re.test(x));
    if (at < 0) return `shown line not printed: ${JSON.stringify(line)}\nprinted:\n${act.join('\n')}`;
    a = at + 1;
  }
  return `the printed lines do not line up with the shown ones (extra lines?)\nprinted:\n${act.join('\n')}`;
}

function trimBlank(lines: string[]): string[] {
  let s = 0, e = lines.length;
  while (s < e && lines[s].trim() === '') s++;
  while (e > s && lines[e - 1].trim() === '') e--;
  return lines.slice(s, e);
}
