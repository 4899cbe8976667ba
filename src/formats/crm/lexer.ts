// Splits crm shell text into statements of tokens, each token with its position.
// Handles what `crm configure` batch input accepts: # comments, backslash continuations
// (also with trailing spaces or a comment after the backslash), quoted values that may
// span lines, and, as a tolerated mistake with a warning, an indented line that continues
// the statement above it without a backslash (the OpenStack HA guide has two).

import { InputError, type InputWarning, type SourcePosition } from '../../model/errors.js';

export interface Token {
  /** The token with quotes removed, e.g. `ip=192.168.42.101` for `ip="192.168.42.101"`. */
  text: string;
  /** For name=value tokens: the name and the unquoted value. */
  name?: string;
  value?: string;
  /** The whole token was quoted (so it is a value, never a keyword). */
  quoted: boolean;
  position: SourcePosition;
}

export interface Statement {
  tokens: Token[];
  position: SourcePosition;
}

export interface Lexed {
  statements: Statement[];
  warnings: InputWarning[];
}

const maxTokenLength = 1 << 20;

export function lex(text: string, file: string): Lexed {
  const statements: Statement[] = [];
  const warnings: InputWarning[] = [];
  let tokens: Token[] = [];
  let line = 1;
  let lineStart = 0;
  let index = 0;
  let continued = false;
  let lastLineWithTokens = 0;

  const position = (offset: number): SourcePosition => ({ file, line, column: offset - lineStart + 1 });
  const endStatement = () => {
    if (tokens.length > 0) statements.push({ tokens, position: tokens[0]!.position });
    tokens = [];
  };
  const newline = () => {
    line += 1;
    lineStart = index + 1;
  };

  while (index < text.length) {
    const char = text[index]!;
    if (char === '\n') {
      if (!continued) endStatement();
      continued = false;
      newline();
      index += 1;
      const rest = text.slice(index, text.indexOf('\n', index) === -1 ? undefined : text.indexOf('\n', index));
      // An indented line right after a statement line, with no backslash between: continue it.
      if (/^[ \t]+\S/.test(rest) && !/^[ \t]+#/.test(rest) && tokens.length === 0 && statements.length > 0 && lastLineWithTokens === line - 1) {
        const previous = statements.pop()!;
        tokens = previous.tokens;
        warnings.push({ message: 'continuation line without a trailing backslash on the line before; read as part of the statement above', position: { file, line, column: 1 } });
      }
      continue;
    }
    if (char === ' ' || char === '\t' || char === '\r') {
      index += 1;
      continue;
    }
    // A comment starts a line, or is a "#" followed by a space; "#uname" is an attribute name.
    if (char === '#' && (tokens.length === 0 || index + 1 >= text.length || /\s/.test(text[index + 1]!) || text.slice(lineStart, index).trim() === '')) {
      while (index < text.length && text[index] !== '\n') index += 1;
      continue;
    }
    if (char === '\\' && /^\\[ \t]*(#[^\n]*)?(\n|$)/.test(text.slice(index, index + 4096))) {
      continued = true;
      while (index < text.length && text[index] !== '\n') index += 1;
      continue;
    }
    const start = index;
    const startPosition = position(start);
    let value = '';
    let name: string | undefined;
    let quotedValue = false;
    let wholeQuoted = false;
    while (index < text.length) {
      const c = text[index]!;
      if (c === ' ' || c === '\t' || c === '\r' || c === '\n') break;
      if (c === '"' || c === "'") {
        const quote = c;
        const quoteStart = position(index);
        if (index === start) wholeQuoted = true;
        index += 1;
        let closed = false;
        while (index < text.length) {
          const q = text[index]!;
          if (q === '\\' && quote === '"' && index + 1 < text.length && (text[index + 1] === '"' || text[index + 1] === '\\')) {
            value += text[index + 1];
            index += 2;
            continue;
          }
          if (q === quote) {
            closed = true;
            index += 1;
            break;
          }
          if (q === '\n') newline();
          value += q;
          index += 1;
          if (value.length > maxTokenLength) throw new InputError('quoted value too long (more than 1 MiB)', quoteStart);
        }
        if (!closed) throw new InputError(`unterminated ${quote === '"' ? 'double' : 'single'}-quoted value`, quoteStart);
        quotedValue = true;
        continue;
      }
      if (c === '=' && name === undefined && !quotedValue) {
        name = value;
        value = '';
        index += 1;
        continue;
      }
      value += c;
      index += 1;
    }
    const token: Token = name !== undefined ? { text: `${name}=${value}`, name, value, quoted: false, position: startPosition } : { text: value, quoted: wholeQuoted, position: startPosition };
    tokens.push(token);
    lastLineWithTokens = line;
  }
  endStatement();
  return { statements, warnings };
}
