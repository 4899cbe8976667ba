// Splits haproxy.cfg into lines of words the way HAProxy's own tokenizer does: leading
// blanks skipped; an unquoted, unescaped "#" starts a comment, even inside a word; "..."
// (weak) and '...' (strong) quotes may open and close anywhere in a word and are removed;
// outside single quotes, \<space> \\ \# \' \" \t \n \r and \xHH are escapes (and \$ inside
// double quotes), any other backslash stays as is. A line ends at its newline or at a
// carriage return; there is no continuation line in haproxy.cfg.

import { InputError, type InputWarning, type SourcePosition } from '../../model/errors.js';

export interface Word {
  /** The word with its quotes and escapes resolved. */
  text: string;
  position: SourcePosition;
}

export interface Line {
  words: Word[];
}

export interface Lexed {
  lines: Line[];
  warnings: InputWarning[];
}

/** HAProxy refuses longer lines (MAX_LINE_ARGS). */
const maxWords = 64;

const simpleEscapes: Record<string, string> = { ' ': ' ', '\\': '\\', '#': '#', "'": "'", '"': '"', t: '\t', n: '\n', r: '\r' };

function lexLine(raw: string, position: (index: number) => SourcePosition, warnings: InputWarning[]): Word[] {
  const words: Word[] = [];
  let word: { text: string; start: number } | undefined;
  let quote: { char: '"' | "'"; start: number } | undefined;
  let index = 0;
  const add = (text: string) => {
    word ??= { text: '', start: index };
    word.text += text;
  };
  const endWord = () => {
    if (!word) return;
    if (words.length === maxWords) throw new InputError(`too many words on one line: HAProxy reads at most ${maxWords}`, position(word.start));
    words.push({ text: word.text, position: position(word.start) });
    word = undefined;
  };

  while (index < raw.length) {
    const char = raw[index]!;
    const next = raw[index + 1];
    if (char === '\r') break;
    if (char === '#' && !quote) break;
    if ((char === '"' || char === "'") && (!quote || quote.char === char)) {
      add('');
      quote = quote ? undefined : { char, start: index };
      index += 1;
    } else if (char === '\\' && quote?.char !== "'") {
      if (next === 'x') {
        const hex = raw.slice(index + 2, index + 4);
        if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw new InputError('invalid escape: expected two hexadecimal digits after \\x', position(index));
        add(String.fromCharCode(parseInt(hex, 16)));
        index += 4;
      } else if (next !== undefined && (simpleEscapes[next] !== undefined || (next === '$' && quote))) {
        add(simpleEscapes[next] ?? next);
        index += 2;
      } else {
        add('\\');
        index += 1;
      }
    } else if (!quote && /[ \t\v\f]/.test(char)) {
      endWord();
      index += 1;
    } else {
      if (char === '$' && quote?.char === '"' && next !== undefined && /[A-Za-z_.{]/.test(next)) {
        warnings.push({ message: 'HAProxy expands environment variables inside double quotes; tandem does not, and keeps the "$" as written', position: position(index) });
      }
      add(char);
      index += 1;
    }
  }
  if (quote) throw new InputError(`unterminated quote: expected a closing ${quote.char} on the same line`, position(quote.start));
  endWord();
  return words;
}

export function lex(text: string, file: string): Lexed {
  const lines: Line[] = [];
  const warnings: InputWarning[] = [];
  text.split('\n').forEach((raw, index) => {
    const words = lexLine(raw, (offset) => ({ file, line: index + 1, column: offset + 1 }), warnings);
    if (words.length > 0) lines.push({ words });
  });
  return { lines, warnings };
}
