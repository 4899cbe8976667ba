// Reads <resources>: primitives, groups, clones and promotable clones (<master> included).

import type { Clone, Group, Operation, Primitive, Resource } from '../../model/config.js';
import { parseDurationMs } from '../../model/duration.js';
import { InputError } from '../../model/errors.js';
import { isTrue, readNvpairs, readRole } from './read-values.js';
import { child, children, otherAttributes, required, type XmlElement } from './xml-source.js';

const modelledOpAttributes = ['id', 'name', 'interval', 'timeout', 'role', 'on-fail'];

function readOperation(element: XmlElement): Operation {
  const interval = element.attributes.interval ?? '0';
  const intervalMs = parseDurationMs(interval);
  if (intervalMs === undefined) throw new InputError(`<op> interval="${interval}" is not a duration (e.g. 30s, 1min, 500ms)`, element.position);
  const operation: Operation = {
    name: required(element, 'name'),
    interval,
    intervalMs,
    // Op meta_attributes are another way to write the op's own attributes (timeout ...).
    attributes: { ...otherAttributes(element, modelledOpAttributes), ...readNvpairs(element, 'meta_attributes') },
  };
  if (element.attributes.id !== undefined) operation.id = element.attributes.id;
  if (element.attributes.timeout !== undefined) operation.timeout = element.attributes.timeout;
  const role = readRole(element, 'role');
  if (role) operation.role = role;
  if (element.attributes['on-fail'] !== undefined) operation.onFail = element.attributes['on-fail'];
  const params = readNvpairs(element, 'instance_attributes');
  if (Object.keys(params).length > 0) operation.params = params;
  return operation;
}

function readOperations(element: XmlElement): Operation[] {
  const operations = child(element, 'operations');
  if (!operations) return [];
  if (operations.attributes['id-ref'] !== undefined) throw new InputError(`<operations> id-ref="${operations.attributes['id-ref']}": shared operation lists are not supported`, operations.position);
  return children(operations, 'op').map(readOperation);
}

const primitiveParts = ['instance_attributes', 'meta_attributes', 'utilization', 'operations'];

function readPrimitive(element: XmlElement): Primitive {
  const id = required(element, 'id');
  const stray = element.children.find((part) => !primitiveParts.includes(part.tag));
  if (stray) throw new InputError(`<${stray.tag}> cannot be in <primitive id="${id}">`, stray.position);
  if (element.attributes.template !== undefined) throw new InputError(`<primitive id="${id}"> template="${element.attributes.template}": resource templates are not supported`, element.position);
  const agentClass = required(element, 'class');
  const primitive: Primitive = {
    kind: 'primitive',
    id,
    agent: { class: agentClass, type: required(element, 'type') },
    params: readNvpairs(element, 'instance_attributes'),
    meta: readNvpairs(element, 'meta_attributes'),
    utilization: readNvpairs(element, 'utilization'),
    ops: readOperations(element),
    extra: otherAttributes(element, ['id', 'class', 'provider', 'type', 'description']),
  };
  if (element.attributes.provider !== undefined) primitive.agent.provider = element.attributes.provider;
  else if (agentClass === 'ocf') throw new InputError(`<primitive id="${id}"> of class ocf needs a "provider" attribute`, element.position);
  if (element.attributes.description !== undefined) primitive.description = element.attributes.description;
  return primitive;
}

/** What groups and clones share: id, description, meta and instance attributes. */
function readContainer(element: XmlElement): Pick<Group, 'id' | 'meta' | 'params' | 'extra' | 'description'> {
  const common: Pick<Group, 'id' | 'meta' | 'params' | 'extra' | 'description'> = {
    id: required(element, 'id'),
    meta: readNvpairs(element, 'meta_attributes'),
    params: readNvpairs(element, 'instance_attributes'),
    extra: otherAttributes(element, ['id', 'description']),
  };
  if (element.attributes.description !== undefined) common.description = element.attributes.description;
  return common;
}

const attributeSetTags = ['meta_attributes', 'instance_attributes'];

function readGroup(element: XmlElement): Group {
  const common = readContainer(element);
  const stray = element.children.find((part) => part.tag !== 'primitive' && !attributeSetTags.includes(part.tag));
  if (stray) throw new InputError(`<${stray.tag}> cannot be in <group id="${common.id}">: a group holds only primitives`, stray.position);
  const members = children(element, 'primitive').map(readPrimitive);
  if (members.length === 0) throw new InputError(`<group id="${common.id}"> has no primitive members`, element.position);
  return { kind: 'group', children: members, ...common };
}

function readClone(element: XmlElement): Clone {
  const common = readContainer(element);
  const inner = element.children.filter((part) => !attributeSetTags.includes(part.tag));
  const [cloned, extraPart] = inner;
  if (!cloned || (cloned.tag !== 'primitive' && cloned.tag !== 'group')) {
    throw new InputError(`<${element.tag} id="${common.id}"> must contain one primitive or group`, (cloned ?? element).position);
  }
  if (extraPart) throw new InputError(`<${extraPart.tag}> cannot be in <${element.tag} id="${common.id}">: it already clones "${cloned.attributes.id ?? cloned.tag}"`, extraPart.position);
  return {
    kind: 'clone',
    promotable: element.tag === 'master' || isTrue(common.meta.promotable),
    legacyMaster: element.tag === 'master',
    child: cloned.tag === 'primitive' ? readPrimitive(cloned) : readGroup(cloned),
    ...common,
  };
}

/** A resource, or undefined for kinds tandem keeps but does not model (bundle, template). */
export function readResource(element: XmlElement): Resource | undefined {
  switch (element.tag) {
    case 'primitive':
      return readPrimitive(element);
    case 'group':
      return readGroup(element);
    case 'clone':
    case 'master':
      return readClone(element);
    default:
      return undefined;
  }
}
