// Reads <constraints>: rsc_location (with rules), rsc_colocation, rsc_order and rsc_ticket,
// in their one- or two-resource form or with resource sets.

import type {
  AttributeExpression,
  ColocationConstraint,
  Constraint,
  ExpressionOp,
  LocationConstraint,
  LossPolicy,
  OrderConstraint,
  ResourceRef,
  ResourceSet,
  Rule,
  TicketConstraint,
} from '../../model/config.js';
import { lossPolicies } from '../../model/config.js';
import { InputError } from '../../model/errors.js';
import { isTrue, readAction, readOrderKind, readRole, readScore, toUnknown } from './read-values.js';
import { children, otherAttributes, required, type XmlElement } from './xml-source.js';

const expressionOps: readonly ExpressionOp[] = ['lt', 'gt', 'lte', 'gte', 'eq', 'ne', 'defined', 'not_defined'];
const expressionTypes: ReadonlyArray<NonNullable<AttributeExpression['type']>> = ['string', 'number', 'integer', 'version'];

function readExpression(element: XmlElement): AttributeExpression {
  const operation = required(element, 'operation');
  if (!(expressionOps as readonly string[]).includes(operation)) throw new InputError(`<expression> operation="${operation}" is not one of ${expressionOps.join(', ')}`, element.position);
  const expression: AttributeExpression = { kind: 'expression', attribute: required(element, 'attribute'), operation: operation as ExpressionOp };
  if (element.attributes.id !== undefined) expression.id = element.attributes.id;
  if (element.attributes.value !== undefined) expression.value = element.attributes.value;
  const type = element.attributes.type;
  if (type !== undefined) {
    if (!(expressionTypes as readonly string[]).includes(type)) throw new InputError(`<expression> type="${type}" is not one of ${expressionTypes.join(', ')}`, element.position);
    expression.type = type as AttributeExpression['type'];
  }
  if (element.attributes['value-source'] !== undefined) expression.valueSource = element.attributes['value-source'];
  return expression;
}

function readRule(element: XmlElement): Rule {
  if (element.attributes['id-ref'] !== undefined) throw new InputError(`<rule> id-ref="${element.attributes['id-ref']}": references to shared rules are not supported`, element.position);
  const op = (element.attributes['boolean-op'] ?? 'and').toLowerCase();
  if (op !== 'and' && op !== 'or') throw new InputError(`<rule> boolean-op="${element.attributes['boolean-op']}" must be "and" or "or"`, element.position);
  const rule: Rule = {
    booleanOp: op,
    // date_expression, rsc_expression and op_expression are kept; tandem does not evaluate them.
    expressions: element.children.map((part) => (part.tag === 'expression' ? readExpression(part) : part.tag === 'rule' ? readRule(part) : { kind: 'unknown' as const, element: toUnknown(part) })),
  };
  if (element.attributes.id !== undefined) rule.id = element.attributes.id;
  const score = readScore(element, 'score');
  if (score !== undefined) rule.score = score;
  if (element.attributes['score-attribute'] !== undefined) rule.scoreAttribute = element.attributes['score-attribute'];
  const role = readRole(element, 'role');
  if (role) rule.role = role;
  return rule;
}

function readSet(element: XmlElement): ResourceSet {
  if (element.attributes['id-ref'] !== undefined) throw new InputError(`<resource_set> id-ref="${element.attributes['id-ref']}": references to shared resource sets are not supported`, element.position);
  const set: ResourceSet = {
    resources: children(element, 'resource_ref').map((ref) => required(ref, 'id')),
    // Both default to true; Pacemaker takes anything but a true value as false.
    sequential: element.attributes.sequential === undefined || isTrue(element.attributes.sequential),
    requireAll: element.attributes['require-all'] === undefined || isTrue(element.attributes['require-all']),
  };
  if (set.resources.length === 0) throw new InputError('<resource_set> needs at least one <resource_ref>', element.position);
  if (element.attributes.id !== undefined) set.id = element.attributes.id;
  const role = readRole(element, 'role');
  if (role) set.role = role;
  const action = readAction(element, 'action');
  if (action) set.action = action;
  const score = readScore(element, 'score');
  if (score !== undefined) set.score = score;
  const kind = readOrderKind(element);
  if (kind) set.kind = kind;
  return set;
}

/** Children other than the expected kind (e.g. the deprecated <lifetime>) are refused, not dropped. */
function onlyChildren(element: XmlElement, tag: string): XmlElement[] {
  const stray = element.children.find((part) => part.tag !== tag);
  if (stray) throw new InputError(`<${stray.tag}> in <${element.tag}> is not supported`, stray.position);
  return element.children;
}

function readSets(element: XmlElement): ResourceSet[] | undefined {
  const sets = onlyChildren(element, 'resource_set');
  return sets.length === 0 ? undefined : sets.map(readSet);
}

function readRef(element: XmlElement, idName: string, roleName?: string, actionName?: string): ResourceRef | undefined {
  const id = element.attributes[idName];
  if (id === undefined) return undefined;
  const reference: ResourceRef = { id };
  const role = roleName ? readRole(element, roleName) : undefined;
  if (role) reference.role = role;
  const action = actionName ? readAction(element, actionName) : undefined;
  if (action) reference.action = action;
  return reference;
}

function readLocation(element: XmlElement, id: string): LocationConstraint {
  const location: LocationConstraint = {
    type: 'location',
    id,
    rules: onlyChildren(element, 'rule').map(readRule),
    extra: otherAttributes(element, ['id', 'rsc', 'rsc-pattern', 'role', 'score', 'node', 'resource-discovery']),
  };
  const { rsc, node } = element.attributes;
  const pattern = element.attributes['rsc-pattern'];
  if (rsc !== undefined) location.rsc = rsc;
  if (pattern !== undefined) location.rscPattern = pattern;
  if ((rsc === undefined) === (pattern === undefined)) throw new InputError(`<rsc_location id="${id}"> needs one of "rsc" and "rsc-pattern"`, element.position);
  const role = readRole(element, 'role');
  if (role) location.role = role;
  const score = readScore(element, 'score');
  if (score !== undefined) location.score = score;
  if (node !== undefined) location.node = node;
  const placed = location.rules.length === 0 ? node !== undefined && score !== undefined : node === undefined && score === undefined;
  if (!placed) {
    throw new InputError(`<rsc_location id="${id}"> needs either "node" and "score", or <rule> elements`, element.position);
  }
  if (element.attributes['resource-discovery'] !== undefined) location.resourceDiscovery = element.attributes['resource-discovery'];
  return location;
}

function readColocation(element: XmlElement, id: string): ColocationConstraint {
  const colocation: ColocationConstraint = {
    type: 'colocation',
    id,
    // Without a score Pacemaker gives the colocation none (0), not INFINITY.
    score: readScore(element, 'score') ?? '0',
    extra: otherAttributes(element, ['id', 'score', 'rsc', 'with-rsc', 'rsc-role', 'with-rsc-role', 'node-attribute']),
  };
  const rsc = readRef(element, 'rsc', 'rsc-role');
  const withRsc = readRef(element, 'with-rsc', 'with-rsc-role');
  if (rsc) colocation.rsc = rsc;
  if (withRsc) colocation.withRsc = withRsc;
  const sets = readSets(element);
  if (sets) colocation.sets = sets;
  if (!sets && (!rsc || !withRsc)) throw new InputError(`<rsc_colocation id="${id}"> needs "rsc" and "with-rsc", or resource sets`, element.position);
  if (element.attributes['node-attribute'] !== undefined) colocation.nodeAttribute = element.attributes['node-attribute'];
  return colocation;
}

function readOrder(element: XmlElement, id: string): OrderConstraint {
  const order: OrderConstraint = { type: 'order', id, extra: otherAttributes(element, ['id', 'kind', 'score', 'first', 'then', 'first-action', 'then-action', 'symmetrical']) };
  const kind = readOrderKind(element);
  if (kind) order.kind = kind;
  const score = readScore(element, 'score');
  if (score !== undefined) order.score = score;
  const first = readRef(element, 'first', undefined, 'first-action');
  const then = readRef(element, 'then', undefined, 'then-action');
  if (first) order.first = first;
  if (then) order.then = then;
  const sets = readSets(element);
  if (sets) order.sets = sets;
  if (!sets && (!first || !then)) throw new InputError(`<rsc_order id="${id}"> needs "first" and "then", or resource sets`, element.position);
  if (element.attributes.symmetrical !== undefined) order.symmetrical = isTrue(element.attributes.symmetrical);
  return order;
}

function readTicket(element: XmlElement, id: string): TicketConstraint {
  const ticket: TicketConstraint = {
    type: 'ticket',
    id,
    ticket: required(element, 'ticket'),
    extra: otherAttributes(element, ['id', 'ticket', 'rsc', 'rsc-role', 'loss-policy']),
  };
  const rsc = readRef(element, 'rsc', 'rsc-role');
  if (rsc) ticket.rsc = rsc;
  const sets = readSets(element);
  if (sets) ticket.sets = sets;
  if ((rsc === undefined) === (sets === undefined)) throw new InputError(`<rsc_ticket id="${id}"> needs either "rsc" or resource sets`, element.position);
  if (element.attributes['rsc-role'] !== undefined && !rsc) throw new InputError(`<rsc_ticket id="${id}"> has "rsc-role" but no "rsc"`, element.position);
  const policy = element.attributes['loss-policy'];
  if (policy !== undefined) {
    if (!(lossPolicies as readonly string[]).includes(policy)) throw new InputError(`<rsc_ticket id="${id}"> loss-policy="${policy}" is not one of ${lossPolicies.join(', ')}`, element.position);
    ticket.lossPolicy = policy as LossPolicy;
  }
  return ticket;
}

/** A constraint, or undefined for kinds tandem keeps but does not model. */
export function readConstraint(element: XmlElement): Constraint | undefined {
  switch (element.tag) {
    case 'rsc_location':
      return readLocation(element, required(element, 'id'));
    case 'rsc_colocation':
      return readColocation(element, required(element, 'id'));
    case 'rsc_order':
      return readOrder(element, required(element, 'id'));
    case 'rsc_ticket':
      return readTicket(element, required(element, 'id'));
    default:
      return undefined;
  }
}
