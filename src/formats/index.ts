// Either format users already have, recognised from the content: CIB XML starts with "<",
// anything else is crm shell syntax.

import { emptyCib, type Cib } from '../model/cib.js';
import type { InputWarning } from '../model/errors.js';
import { readCib } from './cib/index.js';
import { readCrm } from './crm/index.js';

export interface LoadedCib {
  cib: Cib;
  format: 'crm' | 'xml';
  warnings: InputWarning[];
}

export function parseCibText(text: string, file: string): LoadedCib {
  if (text.trimStart().startsWith('<')) return { cib: readCib(text, file), format: 'xml', warnings: [] };
  const { configuration, warnings } = readCrm(text, file);
  const cib = emptyCib();
  cib.configuration = configuration;
  return { cib, format: 'crm', warnings };
}
