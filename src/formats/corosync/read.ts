// corosync.conf as corosync itself reads it: `name {` opens a section, `}` closes it,
// `key: value` sets a value (the first `:` or `=` separates; the value runs to the end of
// the line), `#` starts a comment line. Sections repeat (`interface`, `node`), so each
// name maps to a list. Every entry keeps its line, so what uses it can say where.

import { InputError, type SourcePosition } from '../../model/errors.js';

export interface CorosyncValue {
  value: string;
  position: SourcePosition;
}

export interface CorosyncSection {
  name: string;
  position: SourcePosition;
  values: Map<string, CorosyncValue>;
  sections: CorosyncSection[];
}

const sectionOpening = /^([A-Za-z0-9_.-]+)\s*\{\s*$/;
const keyValue = /^([A-Za-z0-9_.-]+)\s*[:=]\s*(.*?)\s*$/;

/** The whole file as one top-level section named ''; InputError (file:line:column) on what corosync would refuse. */
export function readCorosync(text: string, file: string): CorosyncSection {
  const top: CorosyncSection = { name: '', position: { file, line: 1, column: 1 }, values: new Map(), sections: [] };
  const open: CorosyncSection[] = [top];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = raw.trim();
    const column = raw.length - raw.trimStart().length + 1;
    const position = { file, line: index + 1, column };
    if (line === '' || line.startsWith('#')) return;
    const current = open[open.length - 1]!;
    if (line === '}') {
      if (open.length === 1) throw new InputError("'}' closes no section", position);
      open.pop();
      return;
    }
    const section = sectionOpening.exec(line);
    if (section) {
      const child: CorosyncSection = { name: section[1]!, position, values: new Map(), sections: [] };
      current.sections.push(child);
      open.push(child);
      return;
    }
    const pair = keyValue.exec(line);
    if (!pair) throw new InputError(`expected 'key: value', 'section {' or '}', got '${line}'`, position);
    if (open.length === 1) throw new InputError(`'${pair[1]}' must be inside a section (totem, nodelist, quorum ...)`, position);
    current.values.set(pair[1]!, { value: pair[2]!, position: { file, line: index + 1, column: column + line.indexOf(pair[2]!) } });
  });
  if (open.length > 1) {
    const unclosed = open[open.length - 1]!;
    throw new InputError(`section '${unclosed.name}' is never closed`, unclosed.position);
  }
  return top;
}

export function sectionsNamed(parent: CorosyncSection, name: string): CorosyncSection[] {
  return parent.sections.filter((section) => section.name === name);
}
