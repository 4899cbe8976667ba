// Writes a CIB that Pacemaker 2.1's tools accept. Every element gets an id; ids the model
// does not keep are derived deterministically from their owner's id, so output is stable.

import type { Cib } from '../../model/cib.js';
import { configurationElement } from './write-configuration.js';
import { IdAllocator } from './write-ids.js';
import { statusElement } from './write-status.js';
import { element, renderXml } from './xml-render.js';

/** Promoted and Unpromoted came with schema pacemaker-3.7; older schemas want Master and Slave. */
function knowsNewRoleNames(validateWith: string | undefined): boolean {
  const version = /^pacemaker-(\d+)\.(\d+)$/.exec(validateWith ?? '');
  if (!version) return true;
  const [major, minor] = [Number(version[1]), Number(version[2])];
  return major > 3 || (major === 3 && minor >= 7);
}

/** What `cibadmin --empty` writes, in its order; the model's own values replace these. */
const defaultAttributes: Record<string, string> = { crm_feature_set: '3.16.1', 'validate-with': 'pacemaker-3.9', epoch: '1', num_updates: '0', admin_epoch: '0' };

export function writeCib(cib: Cib): string {
  const { 'have-quorum': _fromHaveQuorum, ...kept } = cib.attributes;
  const attributes = { ...defaultAttributes, ...kept };
  const context = { ids: new IdAllocator(cib.configuration), legacyRoles: !knowsNewRoleNames(attributes['validate-with']) };
  return renderXml(
    element('cib', [...Object.entries(attributes), ['have-quorum', cib.haveQuorum ? '1' : '0']], [configurationElement(context, cib.configuration), statusElement(cib.status)]),
  );
}
