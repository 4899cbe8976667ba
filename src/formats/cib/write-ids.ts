// Ids for the elements the model does not name (attribute sets, name/value pairs, ops
// without an id ...). Pacemaker's schema wants every id unique and a valid XML name, so
// each is derived from its owner's id, cleaned, and numbered if already taken.

import type { Configuration, Resource, Rule, UnknownElement } from '../../model/config.js';

function* resourceIds(resource: Resource): Generator<string | undefined> {
  yield resource.id;
  if (resource.kind === 'primitive') {
    for (const op of resource.ops) yield op.id;
  } else if (resource.kind === 'group') {
    for (const member of resource.children) yield* resourceIds(member);
  } else {
    yield* resourceIds(resource.child);
  }
}

function* unknownIds(element: UnknownElement): Generator<string | undefined> {
  yield element.attributes.id;
  for (const part of element.children) yield* unknownIds(part);
}

function* ruleIds(rule: Rule): Generator<string | undefined> {
  yield rule.id;
  for (const part of rule.expressions) {
    if (!('kind' in part)) yield* ruleIds(part);
    else if (part.kind === 'expression') yield part.id;
    else yield* unknownIds(part.element);
  }
}

/** Every id the configuration itself names; generated ids must avoid all of them. */
function* explicitIds(configuration: Configuration): Generator<string | undefined> {
  for (const resource of configuration.resources) yield* resourceIds(resource);
  for (const constraint of configuration.constraints) {
    yield constraint.id;
    if (constraint.type === 'location') for (const rule of constraint.rules) yield* ruleIds(rule);
    else for (const set of constraint.sets ?? []) yield set.id;
  }
  for (const level of configuration.fencingTopology) yield level.id;
  for (const element of configuration.unknown) yield* unknownIds(element);
}

/** What Pacemaker's crm_xml_sanitize_id does (":" and "#" become "."), for any character an XML name refuses. */
export function sanitizeId(base: string): string {
  const cleaned = base.replace(/[^A-Za-z0-9_.-]/g, '.');
  return /^[A-Za-z_]/.test(cleaned) ? cleaned : `_${cleaned}`;
}

export class IdAllocator {
  private readonly taken = new Set<string>();

  constructor(configuration: Configuration) {
    for (const id of explicitIds(configuration)) if (id !== undefined) this.taken.add(id);
  }

  /** A new id based on `base`: the same model always gets the same ids. */
  fresh(base: string): string {
    const clean = sanitizeId(base);
    let id = clean;
    for (let suffix = 2; this.taken.has(id); suffix += 1) id = `${clean}-${suffix}`;
    this.taken.add(id);
    return id;
  }
}
