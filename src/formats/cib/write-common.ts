// What every part of the writer needs: fresh ids, roles in the schema's spelling, scores
// in canonical form, attribute sets and kept-verbatim elements.

import type { Role, UnknownElement } from '../../model/config.js';
import { formatScore, parseScore } from '../../model/score.js';
import type { IdAllocator } from './write-ids.js';
import { element, type OutElement } from './xml-render.js';

export interface WriteContext {
  ids: IdAllocator;
  /** Schemas before pacemaker-3.7 know only the old role names Master and Slave. */
  legacyRoles: boolean;
}

export function roleName(context: WriteContext, role: Role | undefined): string | undefined {
  if (!context.legacyRoles) return role;
  return role === 'Promoted' ? 'Master' : role === 'Unpromoted' ? 'Slave' : role;
}

/** Scores as Pacemaker's schema wants them (crm's "inf" becomes "INFINITY"). */
export function scoreText(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const parsed = parseScore(value);
  return parsed === undefined ? value : formatScore(parsed);
}

/** One attribute set (meta_attributes ...) with an nvpair per entry; none when empty. */
export function attributeSet(context: WriteContext, tag: string, setIdBase: string, values: Record<string, string>): OutElement[] {
  const pairs = Object.entries(values);
  if (pairs.length === 0) return [];
  const setId = context.ids.fresh(setIdBase);
  return [element(tag, [['id', setId]], pairs.map(([name, value]) => element('nvpair', [['id', context.ids.fresh(`${setId}-${name}`)], ['name', name], ['value', value]])))];
}

export function unknownElement(node: UnknownElement): OutElement {
  return element(node.tag, Object.entries(node.attributes), node.children.map(unknownElement), node.text);
}
