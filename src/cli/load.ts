// Loads a configuration file in either format (crm syntax or CIB XML).

import { readFileSync } from 'node:fs';
import { parseCibText, type LoadedCib } from '../formats/index.js';
import { InputError } from '../model/errors.js';

export function readText(file: string): string {
  try {
    return file === '-' ? readFileSync(0, 'utf8') : readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(`cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : code ?? String(error)}`);
  }
}

export function loadCib(file: string): LoadedCib {
  return parseCibText(readText(file), file);
}
