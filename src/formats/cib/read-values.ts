// Attribute values and name/value sets as Pacemaker reads them, each checked where it is
// read so an error can name the element that holds the bad value.

import type { ActionName, OrderKind, Role, UnknownElement } from '../../model/config.js';
import { InputError } from '../../model/errors.js';
import { parseScore } from '../../model/score.js';
import { tandemMetaProblem } from '../../model/tandem-meta.js';
import { children, required, setOwn, type XmlElement } from './xml-source.js';

export function toUnknown(element: XmlElement): UnknownElement {
  const unknown: UnknownElement = { tag: element.tag, attributes: { ...element.attributes }, children: element.children.map(toUnknown) };
  if (element.text !== undefined) unknown.text = element.text;
  return unknown;
}

function fail(element: XmlElement, detail: string): never {
  throw new InputError(`<${element.tag}> ${detail}`, element.position);
}

// Master and Slave are the names Pacemaker used before 2.1; the model knows them by the new ones.
const roles = new Map<string, Role>([
  ['started', 'Started'],
  ['stopped', 'Stopped'],
  ['promoted', 'Promoted'],
  ['master', 'Promoted'],
  ['unpromoted', 'Unpromoted'],
  ['slave', 'Unpromoted'],
]);

export function readRole(element: XmlElement, name: string): Role | undefined {
  const value = element.attributes[name];
  if (value === undefined) return undefined;
  const role = roles.get(value.toLowerCase());
  if (!role) fail(element, `${name}="${value}" is not a role (Started, Stopped, Promoted, Unpromoted)`);
  return role;
}

export function readScore(element: XmlElement, name: string): string | undefined {
  const value = element.attributes[name];
  if (value !== undefined && parseScore(value) === undefined) fail(element, `${name}="${value}" is not a score (an integer or [+-]INFINITY)`);
  return value;
}

export function readAction(element: XmlElement, name: string): ActionName | undefined {
  const value = element.attributes[name];
  if (value === undefined) return undefined;
  if (value !== 'start' && value !== 'stop' && value !== 'promote' && value !== 'demote') fail(element, `${name}="${value}" must be start, stop, promote or demote`);
  return value;
}

export function readOrderKind(element: XmlElement): OrderKind | undefined {
  const value = element.attributes.kind;
  if (value === undefined) return undefined;
  if (value !== 'Mandatory' && value !== 'Optional' && value !== 'Serialize') fail(element, `kind="${value}" must be Mandatory, Optional or Serialize`);
  return value;
}

/** Pacemaker's crm_is_true: anything else, present or not, is false. */
export function isTrue(value: string | undefined): boolean {
  return value !== undefined && ['true', 'on', 'yes', 'y', '1'].includes(value.toLowerCase());
}

/** An attribute that must hold an integer; Pacemaker's default when absent. */
export function readInteger(element: XmlElement, name: string, fallback: number): number;
export function readInteger(element: XmlElement, name: string): number | undefined;
export function readInteger(element: XmlElement, name: string, fallback?: number): number | undefined {
  const value = element.attributes[name];
  if (value === undefined) return fallback;
  if (!/^-?\d{1,15}$/.test(value.trim())) fail(element, `${name}="${value}" is not an integer`);
  return Number(value);
}

/** Sets are read highest score first, as Pacemaker sorts them; the first value set wins. */
function setOrder(sets: XmlElement[], firstId: string | undefined): XmlElement[] {
  const rank = (set: XmlElement) => (set.attributes.id === firstId && firstId !== undefined ? Infinity : (parseScore(set.attributes.score ?? '0') ?? 0));
  return sets.map((set, index) => ({ set, index })).sort((a, b) => rank(b.set) - rank(a.set) || a.index - b.index).map(({ set }) => set);
}

/**
 * The name/value pairs of every attribute set of one kind (meta_attributes ...) under an
 * element, merged as Pacemaker merges them. Conditional sets (with a <rule>) and shared
 * sets (id-ref) are refused: flattening them would change what they mean.
 */
export function readNvpairs(owner: XmlElement, setTag: string, firstId?: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const set of setOrder(children(owner, setTag), firstId)) {
    if (set.attributes['id-ref'] !== undefined) fail(set, `id-ref="${set.attributes['id-ref']}": references to shared attribute sets are not supported`);
    const rule = children(set, 'rule')[0];
    if (rule) fail(rule, `inside <${setTag}> is not supported: tandem cannot evaluate conditional attribute sets`);
    for (const pair of children(set, 'nvpair')) {
      if (pair.attributes['id-ref'] !== undefined) fail(pair, `id-ref="${pair.attributes['id-ref']}": references to shared name/value pairs are not supported`);
      const name = required(pair, 'name');
      const value = pair.attributes.value;
      const problem = setTag === 'meta_attributes' && value !== undefined ? tandemMetaProblem(name, value) : undefined;
      if (problem) fail(pair, problem);
      // Pacemaker skips a pair without a value; an earlier set's value is never overwritten.
      if (value !== undefined && !Object.hasOwn(values, name)) setOwn(values, name, value);
    }
  }
  return values;
}
