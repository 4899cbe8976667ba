// Reads the <configuration> section of a CIB into the model.

import type {
  ActionName,
  AttributeExpression,
  ColocationConstraint,
  Configuration,
  Constraint,
  ExpressionOp,
  FencingLevel,
  LocationConstraint,
  NodeDefinition,
  Operation,
  OrderConstraint,
  OrderKind,
  Primitive,
  Resource,
  ResourceRef,
  ResourceSet,
  Role,
  Rule,
  UnknownElement,
} from '../../model/config.js';
import { emptyConfiguration } from '../../model/config.js';
import { parseDurationMs } from '../../model/duration.js';
import { InputError } from '../../model/errors.js';
import { parseScore } from '../../model/score.js';
import { child, children, otherAttributes, required, type XmlElement } from '../xml/tree.js';

export function toUnknown(element: XmlElement): UnknownElement {
  const unknown: UnknownElement = { tag: element.tag, attributes: { ...element.attributes }, children: element.children.map(toUnknown) };
  if (element.text !== undefined) unknown.text = element.text;
  return unknown;
}

const roleNames: Record<string, Role> = {
  started: 'Started',
  stopped: 'Stopped',
  promoted: 'Promoted',
  master: 'Promoted',
  unpromoted: 'Unpromoted',
  slave: 'Unpromoted',
};

export function readRole(element: XmlElement, name: string): Role | undefined {
  const value = element.attributes[name];
  if (value === undefined) return undefined;
  const role = roleNames[value.toLowerCase()];
  if (!role) throw new InputError(`<${element.tag}> ${name}="${value}" is not a role (Started, Stopped, Promoted, Unpromoted)`, element.position);
  return role;
}

function checkedScore(element: XmlElement, name: string): string | undefined {
  const value = element.attributes[name];
  if (value !== undefined && parseScore(value) === undefined) throw new InputError(`<${element.tag}> ${name}="${value}" is not a score (an integer or [+-]INFINITY)`, element.position);
  return value;
}

/** nvpairs of every attribute set of the given kind, merged in document order. */
export function nvpairs(element: XmlElement, setTag: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const set of children(element, setTag)) {
    for (const pair of children(set, 'nvpair')) values[required(pair, 'name')] = pair.attributes.value ?? '';
  }
  return values;
}

function readOperation(element: XmlElement): Operation {
  const interval = element.attributes.interval ?? '0';
  const intervalMs = parseDurationMs(interval);
  if (intervalMs === undefined) throw new InputError(`<op> interval="${interval}" is not a duration (e.g. 30s, 1min, 500ms)`, element.position);
  const attributes = { ...otherAttributes(element, ['id', 'name', 'interval', 'timeout', 'role', 'on-fail']), ...nvpairs(element, 'instance_attributes'), ...nvpairs(element, 'meta_attributes') };
  const operation: Operation = { name: required(element, 'name'), interval, intervalMs, attributes };
  if (element.attributes.id !== undefined) operation.id = element.attributes.id;
  if (element.attributes.timeout !== undefined) operation.timeout = element.attributes.timeout;
  const role = readRole(element, 'role');
  if (role) operation.role = role;
  if (element.attributes['on-fail'] !== undefined) operation.onFail = element.attributes['on-fail'];
  return operation;
}

function readPrimitive(element: XmlElement): Primitive {
  const agentClass = required(element, 'class');
  const primitive: Primitive = {
    kind: 'primitive',
    id: required(element, 'id'),
    agent: { class: agentClass, type: required(element, 'type') },
    params: nvpairs(element, 'instance_attributes'),
    meta: nvpairs(element, 'meta_attributes'),
    utilization: nvpairs(element, 'utilization'),
    ops: children(child(element, 'operations') ?? element, 'op').map(readOperation),
    extra: otherAttributes(element, ['id', 'class', 'provider', 'type', 'description']),
  };
  if (element.attributes.provider !== undefined) primitive.agent.provider = element.attributes.provider;
  if (agentClass === 'ocf' && primitive.agent.provider === undefined) throw new InputError(`<primitive id="${primitive.id}"> of class ocf needs a "provider" attribute`, element.position);
  if (element.attributes.description !== undefined) primitive.description = element.attributes.description;
  return primitive;
}

function readResource(element: XmlElement): Resource | undefined {
  const common = () => ({
    id: required(element, 'id'),
    meta: nvpairs(element, 'meta_attributes'),
    params: nvpairs(element, 'instance_attributes'),
    extra: otherAttributes(element, ['id', 'description']),
    ...(element.attributes.description !== undefined ? { description: element.attributes.description } : {}),
  });
  switch (element.tag) {
    case 'primitive':
      return readPrimitive(element);
    case 'group': {
      const members = children(element, 'primitive').map(readPrimitive);
      if (members.length === 0) throw new InputError(`<group id="${element.attributes.id}"> has no primitive members`, element.position);
      return { kind: 'group', children: members, ...common() };
    }
    case 'clone':
    case 'master': {
      const inner = element.children.find((candidate) => candidate.tag === 'primitive' || candidate.tag === 'group');
      if (!inner) throw new InputError(`<${element.tag} id="${element.attributes.id}"> contains no primitive or group`, element.position);
      const cloned = readResource(inner) as Resource & { kind: 'primitive' | 'group' };
      const base = common();
      const promotable = element.tag === 'master' || ['true', 'yes', '1', 'on'].includes((base.meta.promotable ?? '').toLowerCase());
      return { kind: 'clone', promotable, legacyMaster: element.tag === 'master', child: cloned, ...base };
    }
    default:
      return undefined;
  }
}

function readExpression(element: XmlElement): AttributeExpression {
  const operation = required(element, 'operation') as ExpressionOp;
  if (!['lt', 'gt', 'lte', 'gte', 'eq', 'ne', 'defined', 'not_defined'].includes(operation)) {
    throw new InputError(`<expression> operation="${operation}" is not one of lt, gt, lte, gte, eq, ne, defined, not_defined`, element.position);
  }
  const expression: AttributeExpression = { kind: 'expression', attribute: required(element, 'attribute'), operation };
  if (element.attributes.id !== undefined) expression.id = element.attributes.id;
  if (element.attributes.value !== undefined) expression.value = element.attributes.value;
  if (element.attributes.type !== undefined) expression.type = element.attributes.type as AttributeExpression['type'];
  if (element.attributes['value-source'] !== undefined) expression.valueSource = element.attributes['value-source'];
  return expression;
}

export function readRule(element: XmlElement): Rule {
  const op = (element.attributes['boolean-op'] ?? 'and').toLowerCase();
  if (op !== 'and' && op !== 'or') throw new InputError(`<rule> boolean-op="${op}" must be "and" or "or"`, element.position);
  const rule: Rule = {
    booleanOp: op,
    expressions: element.children.map((part) => {
      if (part.tag === 'expression') return readExpression(part);
      if (part.tag === 'rule') return readRule(part);
      return { kind: 'unknown' as const, element: toUnknown(part) };
    }),
  };
  if (element.attributes.id !== undefined) rule.id = element.attributes.id;
  const score = checkedScore(element, 'score');
  if (score !== undefined) rule.score = score;
  if (element.attributes['score-attribute'] !== undefined) rule.scoreAttribute = element.attributes['score-attribute'];
  const role = readRole(element, 'role');
  if (role) rule.role = role;
  return rule;
}

function readSets(element: XmlElement): ResourceSet[] | undefined {
  const sets = children(element, 'resource_set');
  if (sets.length === 0) return undefined;
  return sets.map((set) => {
    const resourceSet: ResourceSet = {
      resources: children(set, 'resource_ref').map((ref) => required(ref, 'id')),
      sequential: (set.attributes.sequential ?? 'true') !== 'false',
      requireAll: (set.attributes['require-all'] ?? 'true') !== 'false',
    };
    if (set.attributes.id !== undefined) resourceSet.id = set.attributes.id;
    const role = readRole(set, 'role');
    if (role) resourceSet.role = role;
    if (set.attributes.action !== undefined) resourceSet.action = set.attributes.action as ActionName;
    const score = checkedScore(set, 'score');
    if (score !== undefined) resourceSet.score = score;
    if (set.attributes.kind !== undefined) resourceSet.kind = set.attributes.kind as OrderKind;
    return resourceSet;
  });
}

function ref(element: XmlElement, idName: string, roleName: string | undefined, actionName: string | undefined): ResourceRef | undefined {
  const id = element.attributes[idName];
  if (id === undefined) return undefined;
  const reference: ResourceRef = { id };
  const role = roleName ? readRole(element, roleName) : undefined;
  if (role) reference.role = role;
  const action = actionName ? element.attributes[actionName] : undefined;
  if (action !== undefined) {
    if (!['start', 'stop', 'promote', 'demote'].includes(action)) throw new InputError(`<${element.tag}> ${actionName}="${action}" must be start, stop, promote or demote`, element.position);
    reference.action = action as ActionName;
  }
  return reference;
}

function readConstraint(element: XmlElement): Constraint | undefined {
  const id = required(element, 'id');
  if (element.tag === 'rsc_location') {
    const location: LocationConstraint = {
      type: 'location',
      id,
      rules: children(element, 'rule').map(readRule),
      extra: otherAttributes(element, ['id', 'rsc', 'rsc-pattern', 'role', 'score', 'node', 'resource-discovery']),
    };
    if (element.attributes.rsc !== undefined) location.rsc = element.attributes.rsc;
    if (element.attributes['rsc-pattern'] !== undefined) location.rscPattern = element.attributes['rsc-pattern'];
    if (location.rsc === undefined && location.rscPattern === undefined) throw new InputError(`<rsc_location id="${id}"> needs "rsc" or "rsc-pattern"`, element.position);
    const role = readRole(element, 'role');
    if (role) location.role = role;
    const score = checkedScore(element, 'score');
    if (score !== undefined) location.score = score;
    if (element.attributes.node !== undefined) location.node = element.attributes.node;
    if (location.node === undefined && location.rules.length === 0) throw new InputError(`<rsc_location id="${id}"> needs "node" and "score", or a <rule>`, element.position);
    if (element.attributes['resource-discovery'] !== undefined) location.resourceDiscovery = element.attributes['resource-discovery'];
    return location;
  }
  if (element.tag === 'rsc_colocation') {
    const colocation: ColocationConstraint = {
      type: 'colocation',
      id,
      score: checkedScore(element, 'score') ?? 'INFINITY',
      extra: otherAttributes(element, ['id', 'score', 'rsc', 'with-rsc', 'rsc-role', 'with-rsc-role', 'node-attribute']),
    };
    const rsc = ref(element, 'rsc', 'rsc-role', undefined);
    const withRsc = ref(element, 'with-rsc', 'with-rsc-role', undefined);
    if (rsc) colocation.rsc = rsc;
    if (withRsc) colocation.withRsc = withRsc;
    const sets = readSets(element);
    if (sets) colocation.sets = sets;
    if (!sets && (!rsc || !withRsc)) throw new InputError(`<rsc_colocation id="${id}"> needs "rsc" and "with-rsc", or resource sets`, element.position);
    if (element.attributes['node-attribute'] !== undefined) colocation.nodeAttribute = element.attributes['node-attribute'];
    return colocation;
  }
  if (element.tag === 'rsc_order') {
    const order: OrderConstraint = { type: 'order', id, extra: otherAttributes(element, ['id', 'kind', 'score', 'first', 'then', 'first-action', 'then-action', 'symmetrical']) };
    const kind = element.attributes.kind;
    if (kind !== undefined) {
      if (!['Mandatory', 'Optional', 'Serialize'].includes(kind)) throw new InputError(`<rsc_order id="${id}"> kind="${kind}" must be Mandatory, Optional or Serialize`, element.position);
      order.kind = kind as OrderKind;
    }
    const score = checkedScore(element, 'score');
    if (score !== undefined) order.score = score;
    const first = ref(element, 'first', undefined, 'first-action');
    const then = ref(element, 'then', undefined, 'then-action');
    if (first) order.first = first;
    if (then) order.then = then;
    const sets = readSets(element);
    if (sets) order.sets = sets;
    if (!sets && (!first || !then)) throw new InputError(`<rsc_order id="${id}"> needs "first" and "then", or resource sets`, element.position);
    if (element.attributes.symmetrical !== undefined) order.symmetrical = element.attributes.symmetrical === 'true';
    return order;
  }
  return undefined;
}

function readNode(element: XmlElement): NodeDefinition {
  const node: NodeDefinition = {
    id: required(element, 'id'),
    uname: required(element, 'uname'),
    attributes: nvpairs(element, 'instance_attributes'),
    utilization: nvpairs(element, 'utilization'),
    extra: otherAttributes(element, ['id', 'uname', 'type']),
  };
  if (element.attributes.type !== undefined) node.type = element.attributes.type;
  return node;
}

function readFencingLevel(element: XmlElement): FencingLevel {
  const index = Number.parseInt(required(element, 'index'), 10);
  if (!Number.isInteger(index) || index < 1) throw new InputError(`<fencing-level> index="${element.attributes.index}" must be a positive integer`, element.position);
  const level: FencingLevel = { index, devices: required(element, 'devices').split(',').map((device) => device.trim()).filter(Boolean) };
  if (element.attributes.id !== undefined) level.id = element.attributes.id;
  if (element.attributes.target !== undefined) level.target = element.attributes.target;
  if (element.attributes['target-pattern'] !== undefined) level.targetPattern = element.attributes['target-pattern'];
  return level;
}

export function readConfiguration(element: XmlElement): Configuration {
  const configuration = emptyConfiguration();
  for (const section of element.children) {
    switch (section.tag) {
      case 'crm_config':
        configuration.properties = nvpairs(section, 'cluster_property_set');
        break;
      case 'nodes':
        configuration.nodes = children(section, 'node').map(readNode);
        break;
      case 'resources':
        for (const resourceElement of section.children) {
          const resource = readResource(resourceElement);
          if (resource) configuration.resources.push(resource);
          else configuration.unknown.push({ tag: 'resources', attributes: {}, children: [toUnknown(resourceElement)] });
        }
        break;
      case 'constraints':
        for (const constraintElement of section.children) {
          const constraint = readConstraint(constraintElement);
          if (constraint) configuration.constraints.push(constraint);
          else configuration.unknown.push({ tag: 'constraints', attributes: {}, children: [toUnknown(constraintElement)] });
        }
        break;
      case 'rsc_defaults':
        configuration.rscDefaults = nvpairs(section, 'meta_attributes');
        break;
      case 'op_defaults':
        configuration.opDefaults = nvpairs(section, 'meta_attributes');
        break;
      case 'fencing-topology':
        configuration.fencingTopology = children(section, 'fencing-level').map(readFencingLevel);
        break;
      default:
        configuration.unknown.push(toUnknown(section));
    }
  }
  return configuration;
}
