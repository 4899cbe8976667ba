// Reads a whole CIB as `cibadmin -Q` prints it and as Pacemaker saves it.

import type { Cib } from '../../model/cib.js';
import { InputError } from '../../model/errors.js';
import { child, otherAttributes, parseXml } from '../xml/tree.js';
import { readConfiguration } from './read-configuration.js';
import { readStatus } from './read-status.js';

export function readCib(text: string, file: string): Cib {
  const root = parseXml(text, file);
  if (root.tag !== 'cib') throw new InputError(`expected a <cib> document, found <${root.tag}>`, root.position);
  const configuration = child(root, 'configuration');
  if (!configuration) throw new InputError('<cib> has no <configuration> section', root.position);
  const quorum = root.attributes['have-quorum'];
  return {
    configuration: readConfiguration(configuration),
    status: readStatus(child(root, 'status')),
    haveQuorum: quorum === undefined ? false : ['1', 'true'].includes(quorum),
    attributes: otherAttributes(root, ['have-quorum']),
  };
}
