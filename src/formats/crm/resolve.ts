// Turns crm's flat statements (primitives, and groups/clones naming them) into the
// model's resource tree, and checks every reference, suggesting the id meant when a
// name is misspelt.

import type { Clone, Group, Primitive, Resource } from '../../model/config.js';
import { InputError, type SourcePosition } from '../../model/errors.js';
import type { Token } from './lexer.js';

interface Container {
  id: string;
  members: Token[];
  meta: Record<string, string>;
  params: Record<string, string>;
  description?: string;
  position: SourcePosition;
}

export interface Definitions {
  primitives: Array<{ primitive: Primitive; position: SourcePosition }>;
  groups: Container[];
  clones: Array<Container & { legacyMaster: boolean }>;
  constraintRefs: Token[];
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j += 1) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

export function suggestion(name: string, known: Iterable<string>): string {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const distance = editDistance(name, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const close = bestDistance <= Math.max(1, Math.floor(name.length / 4)) && bestDistance < name.length;
  return best !== undefined && close ? ` (did you mean "${best}"?)` : '';
}

function duplicateCheck(ids: Array<{ id: string; position: SourcePosition }>): void {
  const seen = new Map<string, SourcePosition>();
  for (const { id, position } of ids) {
    const earlier = seen.get(id);
    if (earlier) throw new InputError(`"${id}" is defined twice (first at line ${earlier.line})`, position);
    seen.set(id, position);
  }
}

export function resolveResources(definitions: Definitions): Resource[] {
  duplicateCheck([
    ...definitions.primitives.map(({ primitive, position }) => ({ id: primitive.id, position })),
    ...definitions.groups.map(({ id, position }) => ({ id, position })),
    ...definitions.clones.map(({ id, position }) => ({ id, position })),
  ]);
  const primitives = new Map(definitions.primitives.map(({ primitive }) => [primitive.id, primitive]));
  const groupDefinitions = new Map(definitions.groups.map((group) => [group.id, group]));
  const allIds = [...primitives.keys(), ...groupDefinitions.keys(), ...definitions.clones.map((clone) => clone.id)];
  const usedBy = new Map<string, string>();
  const claim = (token: Token, owner: string) => {
    const previous = usedBy.get(token.text);
    if (previous) throw new InputError(`"${token.text}" is already part of ${previous}; a resource can belong to only one group or clone`, token.position);
    usedBy.set(token.text, owner);
  };

  const groups = new Map<string, Group>();
  for (const definition of definitions.groups) {
    const children = definition.members.map((token) => {
      const member = primitives.get(token.text);
      if (!member) {
        if (groupDefinitions.has(token.text) || definitions.clones.some((clone) => clone.id === token.text)) throw new InputError(`group ${definition.id} can contain only primitives, but "${token.text}" is a ${groupDefinitions.has(token.text) ? 'group' : 'clone'}`, token.position);
        throw new InputError(`group ${definition.id} names "${token.text}", which is not defined${suggestion(token.text, allIds)}`, token.position);
      }
      claim(token, `group ${definition.id}`);
      return member;
    });
    const group: Group = { kind: 'group', id: definition.id, children, meta: definition.meta, params: definition.params, extra: {} };
    if (definition.description !== undefined) group.description = definition.description;
    groups.set(definition.id, group);
  }

  const clones = new Map<string, Clone>();
  for (const definition of definitions.clones) {
    const token = definition.members[0]!;
    const child = primitives.get(token.text) ?? groups.get(token.text);
    if (!child) {
      if (definitions.clones.some((clone) => clone.id === token.text)) throw new InputError(`${definition.legacyMaster ? 'ms' : 'clone'} ${definition.id} cannot contain another clone ("${token.text}")`, token.position);
      throw new InputError(`${definition.legacyMaster ? 'ms' : 'clone'} ${definition.id} names "${token.text}", which is not defined${suggestion(token.text, allIds)}`, token.position);
    }
    claim(token, `${definition.legacyMaster ? 'ms' : 'clone'} ${definition.id}`);
    const promotable = definition.legacyMaster || ['true', 'yes', '1', 'on'].includes((definition.meta.promotable ?? '').toLowerCase());
    const clone: Clone = { kind: 'clone', id: definition.id, promotable, legacyMaster: definition.legacyMaster, child, meta: definition.meta, params: definition.params, extra: {} };
    if (definition.description !== undefined) clone.description = definition.description;
    clones.set(definition.id, clone);
  }

  for (const token of definitions.constraintRefs) {
    if (!allIds.includes(token.text.split(':')[0]!)) {
      const id = token.text.split(':')[0]!;
      throw new InputError(`constraint names resource "${id}", which is not defined${suggestion(id, allIds)}`, token.position);
    }
  }

  // Top-level resources in the order their definitions appear.
  const ordered: Array<{ resource: Resource; position: SourcePosition }> = [];
  for (const { primitive, position } of definitions.primitives) if (!usedBy.has(primitive.id)) ordered.push({ resource: primitive, position });
  for (const definition of definitions.groups) if (!usedBy.has(definition.id)) ordered.push({ resource: groups.get(definition.id)!, position: definition.position });
  for (const definition of definitions.clones) ordered.push({ resource: clones.get(definition.id)!, position: definition.position });
  ordered.sort((a, b) => a.position.line - b.position.line || a.position.column - b.position.column);
  return ordered.map(({ resource }) => resource);
}
