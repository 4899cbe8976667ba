// Reads a whole CIB as `cibadmin -Q` prints it and as Pacemaker saves it. The model is
// built only once every part has been read, so an error leaves nothing half-loaded.

import type { Cib } from '../../model/cib.js';
import { InputError } from '../../model/errors.js';
import { readConfiguration } from './read-configuration.js';
import { readStatus } from './read-status.js';
import { isTrue } from './read-values.js';
import { child, otherAttributes, parseXml } from './xml-source.js';

export function readCib(text: string, file: string): Cib {
  const root = parseXml(text, file);
  if (root.tag !== 'cib') throw new InputError(`expected a <cib> document, found <${root.tag}>`, root.position);
  const configuration = child(root, 'configuration');
  if (!configuration) throw new InputError('<cib> has no <configuration> section', root.position);
  return {
    configuration: readConfiguration(configuration),
    status: readStatus(child(root, 'status')),
    // Pacemaker counts a missing have-quorum as no quorum.
    haveQuorum: isTrue(root.attributes['have-quorum']),
    attributes: otherAttributes(root, ['have-quorum']),
  };
}
