// Loads a configuration file in either format users already have: crm shell syntax or
// CIB XML (as `cibadmin -Q` prints it). The format is recognised from the content.

import { readFileSync } from 'node:fs';
import { emptyCib, type Cib } from '../model/cib.js';
import { InputError, type InputWarning } from '../model/errors.js';
import { readCib } from '../formats/cib/index.js';
import { readCrm } from '../formats/crm/index.js';

export interface LoadedCib {
  cib: Cib;
  format: 'crm' | 'xml';
  warnings: InputWarning[];
}

export function readText(file: string): string {
  try {
    return file === '-' ? readFileSync(0, 'utf8') : readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(`cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : code ?? String(error)}`);
  }
}

export function parseCibText(text: string, file: string): LoadedCib {
  if (text.trimStart().startsWith('<')) return { cib: readCib(text, file), format: 'xml', warnings: [] };
  const { configuration, warnings } = readCrm(text, file);
  const cib = emptyCib();
  cib.configuration = configuration;
  return { cib, format: 'crm', warnings };
}

export function loadCib(file: string): LoadedCib {
  return parseCibText(readText(file), file);
}
