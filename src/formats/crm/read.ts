// Reads crm shell (`crm configure`) syntax into the model: node, primitive, group, clone,
// ms, location (with rules), colocation, order (with resource sets), rsc_ticket, property,
// rsc_defaults, op_defaults, fencing_topology. The result is whole or an InputError.

import type {
  ActionName,
  AttributeExpression,
  ColocationConstraint,
  Configuration,
  ExpressionOp,
  FencingLevel,
  Group,
  LocationConstraint,
  LossPolicy,
  NodeDefinition,
  Operation,
  OrderConstraint,
  OrderKind,
  Primitive,
  ResourceRef,
  ResourceSet,
  Role,
  Rule,
  TicketConstraint,
} from '../../model/config.js';
import { emptyConfiguration, lossPolicies } from '../../model/config.js';
import { parseDurationMs } from '../../model/duration.js';
import { tandemMetaProblem } from '../../model/tandem-meta.js';
import { InputError, type InputWarning } from '../../model/errors.js';
import { parseScore } from '../../model/score.js';
import { lex, type Statement, type Token } from './lexer.js';
import { resolveResources, type Definitions } from './resolve.js';

export const statementKeywords = ['node', 'primitive', 'group', 'clone', 'ms', 'location', 'colocation', 'collocation', 'order', 'rsc_ticket', 'property', 'rsc_defaults', 'op_defaults', 'fencing_topology'] as const;

const roles: Record<string, Role> = {
  started: 'Started',
  stopped: 'Stopped',
  master: 'Promoted',
  promoted: 'Promoted',
  slave: 'Unpromoted',
  unpromoted: 'Unpromoted',
};

const actions = ['start', 'stop', 'promote', 'demote'];
const sectionWords = ['params', 'meta', 'utilization', 'op', 'attributes', 'description'];

class Cursor {
  index = 0;
  constructor(readonly statement: Statement) {}

  peek(): Token | undefined {
    return this.statement.tokens[this.index];
  }

  next(what: string): Token {
    const token = this.statement.tokens[this.index];
    if (!token) {
      const last = this.statement.tokens[this.statement.tokens.length - 1] ?? { position: this.statement.position, text: '' };
      throw new InputError(`expected ${what} after "${last.text}", found the end of the statement`, { ...last.position, column: last.position.column + last.text.length });
    }
    this.index += 1;
    return token;
  }

  done(): boolean {
    return this.index >= this.statement.tokens.length;
  }
}

function fail(token: Token, message: string): never {
  throw new InputError(message, token.position);
}

function parseRole(token: Token, text: string): Role {
  const role = roles[text.toLowerCase()];
  if (!role) fail(token, `"${text}" is not a role: expected Started, Stopped, Promoted (Master) or Unpromoted (Slave)`);
  return role;
}

function isKeyword(token: Token, words: readonly string[]): boolean {
  return !token.quoted && token.name === undefined && words.includes(token.text);
}

/** name=value pairs until the next section keyword. */
function pairs(cursor: Cursor, section: string): Record<string, string> {
  const values: Record<string, string> = {};
  while (!cursor.done()) {
    const token = cursor.peek()!;
    if (token.name === undefined) {
      if (isKeyword(token, sectionWords)) break;
      fail(token, `expected name=value in "${section}", found "${token.text}"`);
    }
    cursor.index += 1;
    if (token.name === '') fail(token, `expected a name before "=" in "${section}"`);
    const problem = section === 'meta' ? tandemMetaProblem(token.name, token.value ?? '') : undefined;
    if (problem) fail(token, problem);
    values[token.name] = token.value ?? '';
  }
  return values;
}

function parseOperation(cursor: Cursor): Operation {
  const nameToken = cursor.next('an operation name (e.g. monitor)');
  if (nameToken.name !== undefined) fail(nameToken, `expected an operation name after "op", found "${nameToken.text}"`);
  const from = cursor.index;
  const attributes = pairs(cursor, `op ${nameToken.text}`);
  const interval = attributes.interval ?? '0';
  const intervalMs = parseDurationMs(interval);
  if (intervalMs === undefined) {
    const where = cursor.statement.tokens.slice(from, cursor.index).find((token) => token.name === 'interval') ?? nameToken;
    fail(where, `op ${nameToken.text}: interval="${interval}" is not a duration (e.g. 30s, 1min, 500ms)`);
  }
  const operation: Operation = { name: nameToken.text, interval, intervalMs: intervalMs!, attributes: {} };
  for (const [name, value] of Object.entries(attributes)) {
    if (name === 'interval') continue;
    if (name === 'id') operation.id = value;
    else if (name === 'timeout') operation.timeout = value;
    else if (name === 'role') operation.role = parseRole(nameToken, value);
    else if (name === 'on-fail') operation.onFail = value;
    else operation.attributes[name] = value;
  }
  return operation;
}

function parseAgent(token: Token): Primitive['agent'] {
  const parts = token.text.split(':');
  if (token.text.startsWith('@')) fail(token, `resource templates ("${token.text}") are not supported; write the agent as class:provider:type`);
  if (parts.length === 3 && parts.every(Boolean)) return { class: parts[0]!, provider: parts[1]!, type: parts[2]! };
  if (parts.length === 2 && parts.every(Boolean) && parts[0] !== 'ocf') return { class: parts[0]!, type: parts[1]! };
  fail(token, `expected a resource agent as class:provider:type (e.g. ocf:heartbeat:IPaddr2) or class:type (e.g. systemd:httpd), found "${token.text}"`);
}

function parsePrimitive(cursor: Cursor): Primitive {
  const id = cursor.next('a resource id').text;
  const primitive: Primitive = { kind: 'primitive', id, agent: parseAgent(cursor.next('a resource agent')), params: {}, meta: {}, utilization: {}, ops: [], extra: {} };
  while (!cursor.done()) {
    const token = cursor.next('a section');
    if (token.name === 'description') primitive.description = token.value ?? '';
    else if (isKeyword(token, ['params'])) Object.assign(primitive.params, pairs(cursor, 'params'));
    else if (isKeyword(token, ['meta'])) Object.assign(primitive.meta, pairs(cursor, 'meta'));
    else if (isKeyword(token, ['utilization'])) Object.assign(primitive.utilization, pairs(cursor, 'utilization'));
    else if (isKeyword(token, ['op'])) primitive.ops.push(parseOperation(cursor));
    else fail(token, `expected params, meta, utilization or op in primitive ${id}, found "${token.text}"`);
  }
  return primitive;
}

interface ContainerStatement {
  id: string;
  members: Token[];
  meta: Record<string, string>;
  params: Record<string, string>;
  description?: string;
  position: Token['position'];
}

function parseContainer(cursor: Cursor, keyword: string): ContainerStatement {
  const idToken = cursor.next(`a ${keyword} id`);
  const container: ContainerStatement = { id: idToken.text, members: [], meta: {}, params: {}, position: idToken.position };
  while (!cursor.done()) {
    const token = cursor.next('a member or section');
    if (token.name === 'description') container.description = token.value ?? '';
    else if (isKeyword(token, ['meta'])) Object.assign(container.meta, pairs(cursor, 'meta'));
    else if (isKeyword(token, ['params'])) Object.assign(container.params, pairs(cursor, 'params'));
    else if (token.name !== undefined) fail(token, `expected a resource id or meta/params in ${keyword} ${idToken.text}, found "${token.text}"`);
    else container.members.push(token);
  }
  if (container.members.length === 0) fail(idToken, `${keyword} ${idToken.text} names no resource`);
  if (keyword !== 'group' && container.members.length > 1) fail(container.members[1]!, `${keyword} ${idToken.text} takes exactly one resource, found "${container.members[1]!.text}" too`);
  return container;
}

/** A score followed by a colon, as in `inf:` or `100:` (possibly glued to what follows). */
function splitScore(token: Token): { score: string; rest: string } | undefined {
  const colon = token.text.indexOf(':');
  if (colon <= 0 || token.quoted || token.name !== undefined) return undefined;
  const score = token.text.slice(0, colon);
  return { score, rest: token.text.slice(colon + 1) };
}

function requireScore(token: Token, score: string, what: string): string {
  if (parseScore(score) === undefined) fail(token, `expected a score (a number, inf or -inf) followed by ":" in ${what}, found "${token.text}"`);
  return score;
}

const expressionOps: ExpressionOp[] = ['lt', 'gt', 'lte', 'gte', 'eq', 'ne'];

function parseExpression(cursor: Cursor, ruleId: string): AttributeExpression {
  const first = cursor.next('a rule expression');
  if (isKeyword(first, ['defined', 'not_defined'])) {
    return { kind: 'expression', attribute: cursor.next('an attribute name').text, operation: first.text as ExpressionOp };
  }
  if (isKeyword(first, ['date'])) fail(first, `date expressions in rules are not supported yet (rule ${ruleId})`);
  const opToken = cursor.next(`an operator (${expressionOps.join(', ')}) after "${first.text}"`);
  const [typeOrOp, maybeOp] = opToken.text.split(':');
  const operation = (maybeOp ?? typeOrOp) as ExpressionOp;
  if (!expressionOps.includes(operation)) fail(opToken, `expected an operator (${expressionOps.join(', ')}), found "${opToken.text}"`);
  const expression: AttributeExpression = { kind: 'expression', attribute: first.text, operation, value: cursor.next(`a value after "${opToken.text}"`).text };
  if (maybeOp !== undefined) {
    if (!['string', 'number', 'integer', 'version'].includes(typeOrOp!)) fail(opToken, `expected a type (string, number, version) before ":" in "${opToken.text}"`);
    expression.type = typeOrOp as AttributeExpression['type'];
  }
  return expression;
}

function parseRule(cursor: Cursor, constraintId: string, index: number): Rule {
  const rule: Rule = { booleanOp: 'and', expressions: [] };
  let token = cursor.next('a rule score');
  while (token.name !== undefined) {
    if (token.name === '$id' || token.name === 'id') rule.id = token.value ?? '';
    else if (token.name === '$role' || token.name === 'role') rule.role = parseRole(token, token.value ?? '');
    else fail(token, `unexpected "${token.text}" in a rule`);
    token = cursor.next('a rule score');
  }
  const split = splitScore(token);
  if (!split || split.rest !== '') fail(token, `expected a score followed by ":" (e.g. "inf:" or "100:") in rule of ${constraintId}, found "${token.text}"`);
  if (parseScore(split.score) === undefined) rule.scoreAttribute = split.score;
  else rule.score = split.score;
  const ruleId = rule.id ?? `${constraintId}-rule-${index}`;
  rule.expressions.push(parseExpression(cursor, ruleId));
  while (!cursor.done() && isKeyword(cursor.peek()!, ['and', 'or'])) {
    const joiner = cursor.next('and/or').text as 'and' | 'or';
    if (rule.expressions.length > 1 && joiner !== rule.booleanOp) fail(cursor.peek() ?? cursor.statement.tokens[cursor.index - 1]!, `mixing "and" and "or" in one rule is not supported; split it into several rules`);
    rule.booleanOp = joiner;
    rule.expressions.push(parseExpression(cursor, ruleId));
  }
  return rule;
}

function parseLocation(cursor: Cursor): { constraint: LocationConstraint; refs: Token[] } {
  const id = cursor.next('a constraint id').text;
  const target = cursor.next('a resource (or /pattern/)');
  const constraint: LocationConstraint = { type: 'location', id, rules: [], extra: {} };
  const refs: Token[] = [];
  if (/^\/.*\/$/.test(target.text) && target.text.length > 2) constraint.rscPattern = target.text.slice(1, -1);
  else {
    constraint.rsc = target.text;
    refs.push(target);
  }
  while (!cursor.done()) {
    const token = cursor.next('a score or rule');
    if (token.name === 'role' || token.name === '$role') {
      constraint.role = parseRole(token, token.value ?? '');
    } else if (token.name === 'resource-discovery') {
      constraint.resourceDiscovery = token.value ?? '';
    } else if (isKeyword(token, ['rule'])) {
      constraint.rules.push(parseRule(cursor, id, constraint.rules.length));
    } else {
      const split = splitScore(token);
      if (!split) fail(token, `expected a score followed by ":" and a node (e.g. "100: node1"), or "rule", in location ${id}, found "${token.text}"`);
      constraint.score = requireScore(token, split.score, `location ${id}`);
      constraint.node = split.rest !== '' ? split.rest : cursor.next(`a node name after "${token.text}"`).text;
    }
  }
  if (constraint.node === undefined && constraint.rules.length === 0) fail(target, `location ${id} needs "SCORE: NODE" or a rule`);
  return { constraint, refs };
}

interface RefGroup {
  refs: Array<{ token: Token; id: string; suffix?: string }>;
  sequential: boolean;
  requireAll: boolean;
}

/** The resources of a colocation or order: plain refs, or ( ) / [ ] resource sets. */
function parseRefs(cursor: Cursor, stopAt: (token: Token) => boolean): RefGroup[] {
  const groups: RefGroup[] = [];
  let open: RefGroup | undefined;
  let closer = '';
  while (!cursor.done() && !stopAt(cursor.peek()!)) {
    const token = cursor.next('a resource');
    if (!open && (token.text === '(' || token.text === '[')) {
      open = { refs: [], sequential: false, requireAll: token.text === '(' };
      closer = token.text === '(' ? ')' : ']';
      continue;
    }
    if (open && token.text === closer) {
      groups.push(open);
      open = undefined;
      continue;
    }
    const colon = token.text.indexOf(':');
    const ref = { token, id: colon >= 0 ? token.text.slice(0, colon) : token.text, suffix: colon >= 0 ? token.text.slice(colon + 1) : undefined };
    if (open) open.refs.push(ref);
    else {
      const last = groups[groups.length - 1];
      if (last && last.sequential && last.refs[0]?.suffix === ref.suffix) last.refs.push(ref);
      else groups.push({ refs: [ref], sequential: true, requireAll: true });
    }
  }
  if (open) fail(cursor.statement.tokens[cursor.statement.tokens.length - 1]!, `missing "${closer}" to close a resource set`);
  return groups;
}

function parseColocation(cursor: Cursor): { constraint: ColocationConstraint; refs: Token[] } {
  const id = cursor.next('a constraint id').text;
  const scoreToken = cursor.next('a score followed by ":"');
  const split = splitScore(scoreToken);
  if (!split || split.rest !== '') fail(scoreToken, `expected a score followed by ":" (e.g. "inf:") after "colocation ${id}", found "${scoreToken.text}"`);
  const constraint: ColocationConstraint = { type: 'colocation', id, score: requireScore(scoreToken, split.score, `colocation ${id}`), extra: {} };
  const groups = parseRefs(cursor, (token) => token.name !== undefined);
  while (!cursor.done()) {
    const token = cursor.next('node-attribute=NAME');
    if (token.name === 'node-attribute') constraint.nodeAttribute = token.value ?? '';
    else fail(token, `unexpected "${token.text}" in colocation ${id}`);
  }
  const refs = groups.flatMap((group) => group.refs);
  if (refs.length < 2) fail(scoreToken, `colocation ${id} needs at least two resources`);
  const role = (ref: RefGroup['refs'][number]) => (ref.suffix === undefined ? undefined : parseRole(ref.token, ref.suffix));
  if (refs.length === 2 && groups.every((group) => group.sequential)) {
    const [dependent, primary] = refs as [RefGroup['refs'][number], RefGroup['refs'][number]];
    constraint.rsc = withRole({ id: dependent.id }, role(dependent));
    constraint.withRsc = withRole({ id: primary.id }, role(primary));
  } else {
    constraint.sets = groups.map((group) => setOf(group, (ref) => role(ref), 'role'));
  }
  return { constraint, refs: refs.map((ref) => ref.token) };
}

function withRole(ref: ResourceRef, role: Role | undefined): ResourceRef {
  if (role) ref.role = role;
  return ref;
}

function setOf(group: RefGroup, suffix: (ref: RefGroup['refs'][number]) => Role | ActionName | undefined, kind: 'role' | 'action'): ResourceSet {
  const set: ResourceSet = { resources: group.refs.map((ref) => ref.id), sequential: group.sequential, requireAll: group.requireAll };
  const first = group.refs[0];
  const value = first ? suffix(first) : undefined;
  if (value !== undefined) {
    if (kind === 'role') set.role = value as Role;
    else set.action = value as ActionName;
  }
  return set;
}

function parseAction(token: Token, text: string): ActionName {
  if (!actions.includes(text)) fail(token, `"${text}" is not an action: expected start, stop, promote or demote`);
  return text as ActionName;
}

function parseOrder(cursor: Cursor): { constraint: OrderConstraint; refs: Token[] } {
  const id = cursor.next('a constraint id').text;
  const constraint: OrderConstraint = { type: 'order', id, extra: {} };
  const head = cursor.peek();
  if (head) {
    const split = splitScore(head);
    const kinds: OrderKind[] = ['Mandatory', 'Optional', 'Serialize'];
    if (split && split.rest === '') {
      cursor.index += 1;
      const kind = kinds.find((candidate) => candidate.toLowerCase() === split.score.toLowerCase());
      if (kind) constraint.kind = kind;
      else constraint.score = requireScore(head, split.score, `order ${id}`);
    }
  }
  const groups = parseRefs(cursor, (token) => token.name !== undefined);
  while (!cursor.done()) {
    const token = cursor.next('symmetrical=true|false');
    if (token.name === 'symmetrical') {
      if (token.value !== 'true' && token.value !== 'false') fail(token, `symmetrical must be true or false, found "${token.value}"`);
      constraint.symmetrical = token.value === 'true';
    } else fail(token, `unexpected "${token.text}" in order ${id}`);
  }
  const refs = groups.flatMap((group) => group.refs);
  if (refs.length < 2) fail(cursor.statement.tokens[0]!, `order ${id} needs at least two resources`);
  const action = (ref: RefGroup['refs'][number]) => (ref.suffix === undefined ? undefined : parseAction(ref.token, ref.suffix));
  if (refs.length === 2 && groups.every((group) => group.sequential)) {
    const [first, then] = refs as [RefGroup['refs'][number], RefGroup['refs'][number]];
    constraint.first = { id: first.id };
    constraint.then = { id: then.id };
    const firstAction = action(first);
    const thenAction = action(then);
    if (firstAction) constraint.first.action = firstAction;
    if (thenAction) constraint.then.action = thenAction;
  } else {
    constraint.sets = groups.map((group) => setOf(group, action, 'action'));
  }
  return { constraint, refs: refs.map((ref) => ref.token) };
}

/**
 * `rsc_ticket ID TICKET: RSC[:ROLE] [RSC[:ROLE] ...] [loss-policy=POLICY]`: one resource is
 * the simple form; several become resource sets, consecutive ones with the same role sharing one.
 */
function parseTicket(cursor: Cursor): { constraint: TicketConstraint; refs: Token[] } {
  const id = cursor.next('a constraint id').text;
  const ticketToken = cursor.next('a ticket followed by ":"');
  const colon = ticketToken.text.indexOf(':');
  if (colon <= 0 || ticketToken.quoted || ticketToken.name !== undefined) fail(ticketToken, `expected a ticket followed by ":" (e.g. "ticketA:") after "rsc_ticket ${id}", found "${ticketToken.text}"`);
  const rest = ticketToken.text.slice(colon + 1);
  // "ticketA:rsc" glued together: the resource is a token of its own.
  if (rest !== '') cursor.statement.tokens.splice(cursor.index, 0, { text: rest, quoted: false, position: { ...ticketToken.position, column: ticketToken.position.column + colon + 1 } });
  const constraint: TicketConstraint = { type: 'ticket', id, ticket: ticketToken.text.slice(0, colon), extra: {} };
  const groups = parseRefs(cursor, (token) => token.name !== undefined);
  while (!cursor.done()) {
    const token = cursor.next('loss-policy=POLICY');
    if (token.name !== 'loss-policy') fail(token, `unexpected "${token.text}" in rsc_ticket ${id}: expected loss-policy=${lossPolicies.join('|')}`);
    if (!(lossPolicies as readonly string[]).includes(token.value ?? '')) fail(token, `loss-policy must be one of ${lossPolicies.join(', ')}, found "${token.value}"`);
    constraint.lossPolicy = token.value as LossPolicy;
  }
  const refs = groups.flatMap((group) => group.refs);
  if (refs.length === 0) fail(ticketToken, `rsc_ticket ${id} names no resource`);
  const role = (ref: RefGroup['refs'][number]) => (ref.suffix === undefined ? undefined : parseRole(ref.token, ref.suffix));
  const only = refs[0]!;
  if (refs.length === 1 && groups[0]!.sequential) constraint.rsc = withRole({ id: only.id }, role(only));
  else constraint.sets = groups.map((group) => setOf(group, role, 'role'));
  return { constraint, refs: refs.map((ref) => ref.token) };
}

function parseNode(cursor: Cursor): NodeDefinition {
  let token = cursor.next('a node name');
  let id: string | undefined;
  if (token.name === '$id' || token.name === 'id') {
    id = token.value;
    token = cursor.next('a node name');
  }
  const [uname, type] = token.text.split(':');
  if (!uname) fail(token, 'expected a node name');
  const node: NodeDefinition = { id: id ?? uname, uname, attributes: {}, utilization: {}, extra: {} };
  if (type) node.type = type;
  while (!cursor.done()) {
    const section = cursor.next('attributes or utilization');
    if (section.name === 'description') node.extra.description = section.value ?? '';
    else if (isKeyword(section, ['attributes'])) Object.assign(node.attributes, pairs(cursor, 'attributes'));
    else if (isKeyword(section, ['utilization'])) Object.assign(node.utilization, pairs(cursor, 'utilization'));
    else fail(section, `expected attributes or utilization in node ${uname}, found "${section.text}"`);
  }
  return node;
}

function parseNameValues(cursor: Cursor, keyword: string): Record<string, string> {
  const values: Record<string, string> = {};
  while (!cursor.done()) {
    const token = cursor.next('name=value');
    if (token.name === '$id' || token.name === 'id') continue;
    if (token.name === undefined) {
      // `property cib-bootstrap-options: k=v` names the set; tandem keeps one set.
      if (token.text.endsWith(':') && Object.keys(values).length === 0) continue;
      fail(token, `expected name=value in ${keyword}, found "${token.text}"`);
    }
    const problem = keyword === 'rsc_defaults' ? tandemMetaProblem(token.name, token.value ?? '') : undefined;
    if (problem) fail(token, problem);
    values[token.name] = token.value ?? '';
  }
  return values;
}

function parseFencing(cursor: Cursor): FencingLevel[] {
  const levels: FencingLevel[] = [];
  let target: string | undefined;
  let index = 0;
  while (!cursor.done()) {
    const token = cursor.next('a node or devices');
    if (token.text.endsWith(':') && token.name === undefined) {
      target = token.text.slice(0, -1);
      index = 0;
      continue;
    }
    index += 1;
    const level: FencingLevel = { index, devices: token.text.split(',').filter(Boolean) };
    if (target !== undefined) level.target = target;
    levels.push(level);
  }
  return levels;
}

export interface CrmReadResult {
  configuration: Configuration;
  warnings: InputWarning[];
}

export function readCrm(text: string, file: string): CrmReadResult {
  const { statements, warnings } = lex(text, file);
  const configuration = emptyConfiguration();
  const definitions: Definitions = { primitives: [], groups: [], clones: [], constraintRefs: [] };
  for (const statement of statements) {
    const cursor = new Cursor(statement);
    const keyword = cursor.next('a statement');
    switch (isKeyword(keyword, statementKeywords) ? keyword.text : '') {
      case 'node':
        configuration.nodes.push(parseNode(cursor));
        break;
      case 'primitive':
        definitions.primitives.push({ primitive: parsePrimitive(cursor), position: keyword.position });
        break;
      case 'group':
        definitions.groups.push(parseContainer(cursor, 'group'));
        break;
      case 'clone':
      case 'ms':
        definitions.clones.push({ ...parseContainer(cursor, keyword.text), legacyMaster: keyword.text === 'ms' });
        break;
      case 'location':
      case 'colocation':
      case 'collocation':
      case 'order':
      case 'rsc_ticket': {
        const parsed = keyword.text === 'location' ? parseLocation(cursor) : keyword.text === 'order' ? parseOrder(cursor) : keyword.text === 'rsc_ticket' ? parseTicket(cursor) : parseColocation(cursor);
        configuration.constraints.push(parsed.constraint);
        definitions.constraintRefs.push(...parsed.refs);
        break;
      }
      case 'property':
        Object.assign(configuration.properties, parseNameValues(cursor, 'property'));
        break;
      case 'rsc_defaults':
        Object.assign(configuration.rscDefaults, parseNameValues(cursor, 'rsc_defaults'));
        break;
      case 'op_defaults':
        Object.assign(configuration.opDefaults, parseNameValues(cursor, 'op_defaults'));
        break;
      case 'fencing_topology':
        configuration.fencingTopology.push(...parseFencing(cursor));
        break;
      default:
        fail(keyword, `unknown statement "${keyword.text}": expected one of ${statementKeywords.filter((word) => word !== 'collocation').join(', ')}`);
    }
  }
  configuration.resources = resolveResources(definitions);
  return { configuration, warnings };
}

export type { Group };
