// Prints a configuration in crm shell syntax, as `crm configure show` does, so that it
// reads back (readCrm) to the same model.

import type {
  AttributeExpression,
  ColocationConstraint,
  Configuration,
  Constraint,
  LocationConstraint,
  Operation,
  OrderConstraint,
  Primitive,
  Resource,
  ResourceSet,
  Rule,
  TicketConstraint,
} from '../../model/config.js';

const roleNames = { Promoted: 'Promoted', Unpromoted: 'Unpromoted', Started: 'Started', Stopped: 'Stopped' } as const;

export function quote(value: string): string {
  if (value !== '' && /^[^\s"'#=\\()[\]]+$/.test(value)) return value;
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function pairs(values: Record<string, string>): string[] {
  return Object.entries(values).map(([name, value]) => `${name}=${quote(value)}`);
}

/** A statement: head on the first line, each further part on a continuation line. */
function statement(head: string, parts: string[]): string {
  return [head, ...parts].join(' \\\n\t');
}

function operation(op: Operation): string {
  const attributes: Record<string, string> = {};
  if (op.id !== undefined) attributes.id = op.id;
  attributes.interval = op.interval;
  if (op.timeout !== undefined) attributes.timeout = op.timeout;
  if (op.role !== undefined) attributes.role = roleNames[op.role];
  if (op.onFail !== undefined) attributes['on-fail'] = op.onFail;
  Object.assign(attributes, op.attributes);
  return ['op', op.name, ...pairs(attributes)].join(' ');
}

function section(keyword: string, values: Record<string, string>): string[] {
  return Object.keys(values).length > 0 ? [[keyword, ...pairs(values)].join(' ')] : [];
}

function describe(description: string | undefined): string[] {
  return description === undefined ? [] : [`description=${quote(description)}`];
}

function primitive(resource: Primitive): string {
  const agent = resource.agent.provider ? `${resource.agent.class}:${resource.agent.provider}:${resource.agent.type}` : `${resource.agent.class}:${resource.agent.type}`;
  return statement(`primitive ${resource.id} ${agent}`, [
    ...describe(resource.description),
    ...section('params', resource.params),
    ...section('meta', resource.meta),
    ...section('utilization', resource.utilization),
    ...resource.ops.map(operation),
  ]);
}

function primitivesOf(resource: Resource): Primitive[] {
  if (resource.kind === 'primitive') return [resource];
  if (resource.kind === 'group') return resource.children;
  return primitivesOf(resource.child);
}

function container(resource: Resource): string[] {
  if (resource.kind === 'primitive') return [];
  if (resource.kind === 'group') {
    return [statement(`group ${resource.id} ${resource.children.map((child) => child.id).join(' ')}`, [...describe(resource.description), ...section('params', resource.params), ...section('meta', resource.meta)])];
  }
  const keyword = resource.legacyMaster ? 'ms' : 'clone';
  return [...container(resource.child), statement(`${keyword} ${resource.id} ${resource.child.id}`, [...describe(resource.description), ...section('params', resource.params), ...section('meta', resource.meta)])];
}

function expression(part: Rule['expressions'][number]): string {
  if (!('kind' in part) || part.kind !== 'expression') throw new Error('nested rules and date expressions cannot be written in crm syntax');
  const value = part as AttributeExpression;
  if (value.operation === 'defined' || value.operation === 'not_defined') return `${value.operation} ${value.attribute}`;
  return `${value.attribute} ${value.type ? `${value.type}:` : ''}${value.operation} ${quote(value.value ?? '')}`;
}

function rule(value: Rule): string {
  const head = ['rule'];
  if (value.id !== undefined) head.push(`$id=${quote(value.id)}`);
  if (value.role !== undefined) head.push(`$role=${roleNames[value.role]}`);
  head.push(`${value.scoreAttribute ?? value.score ?? '0'}:`);
  return [...head, value.expressions.map(expression).join(` ${value.booleanOp} `)].join(' ');
}

function location(constraint: LocationConstraint): string {
  const head = [`location ${constraint.id} ${constraint.rsc ?? `/${constraint.rscPattern}/`}`];
  if (constraint.role !== undefined) head.push(`role=${roleNames[constraint.role]}`);
  if (constraint.resourceDiscovery !== undefined) head.push(`resource-discovery=${quote(constraint.resourceDiscovery)}`);
  if (constraint.node !== undefined) return `${head.join(' ')} ${constraint.score ?? '0'}: ${constraint.node}`;
  return statement(head.join(' '), constraint.rules.map(rule));
}

function setText(set: ResourceSet, suffix: string | undefined): string {
  const refs = set.resources.map((id) => (suffix ? `${id}:${suffix}` : id));
  if (set.sequential) return refs.join(' ');
  return set.requireAll ? `( ${refs.join(' ')} )` : `[ ${refs.join(' ')} ]`;
}

function colocation(constraint: ColocationConstraint): string {
  const ref = (id: string, role: string | undefined) => (role ? `${id}:${role}` : id);
  const resources = constraint.sets
    ? constraint.sets.map((set) => setText(set, set.role)).join(' ')
    : `${ref(constraint.rsc!.id, constraint.rsc!.role)} ${ref(constraint.withRsc!.id, constraint.withRsc!.role)}`;
  const tail = constraint.nodeAttribute !== undefined ? ` node-attribute=${quote(constraint.nodeAttribute)}` : '';
  return `colocation ${constraint.id} ${constraint.score}: ${resources}${tail}`;
}

function order(constraint: OrderConstraint): string {
  const kind = constraint.kind ?? constraint.score;
  const ref = (id: string, action: string | undefined) => (action ? `${id}:${action}` : id);
  const resources = constraint.sets
    ? constraint.sets.map((set) => setText(set, set.action)).join(' ')
    : `${ref(constraint.first!.id, constraint.first!.action)} ${ref(constraint.then!.id, constraint.then!.action)}`;
  const tail = constraint.symmetrical !== undefined ? ` symmetrical=${constraint.symmetrical}` : '';
  return `order ${constraint.id} ${kind !== undefined ? `${kind}: ` : ''}${resources}${tail}`;
}

function ticket(constraint: TicketConstraint): string {
  const resources = constraint.sets
    ? constraint.sets.map((set) => setText(set, set.role)).join(' ')
    : `${constraint.rsc!.id}${constraint.rsc!.role ? `:${constraint.rsc!.role}` : ''}`;
  const tail = constraint.lossPolicy !== undefined ? ` loss-policy=${constraint.lossPolicy}` : '';
  return `rsc_ticket ${constraint.id} ${constraint.ticket}: ${resources}${tail}`;
}

function constraintText(constraint: Constraint): string {
  if (constraint.type === 'location') return location(constraint);
  if (constraint.type === 'colocation') return colocation(constraint);
  if (constraint.type === 'ticket') return ticket(constraint);
  return order(constraint);
}

function fencing(configuration: Configuration): string[] {
  if (configuration.fencingTopology.length === 0) return [];
  const parts: string[] = [];
  let target: string | undefined;
  for (const level of configuration.fencingTopology) {
    if (level.target !== target && level.target !== undefined) parts.push(`${level.target}:`);
    target = level.target;
    parts.push(level.devices.join(','));
  }
  return [`fencing_topology ${parts.join(' ')}`];
}

export function writeCrm(configuration: Configuration): string {
  const lines: string[] = [];
  for (const node of configuration.nodes) {
    const head = `node ${node.id !== node.uname ? `$id=${quote(node.id)} ` : ''}${node.uname}${node.type ? `:${node.type}` : ''}`;
    const description = node.extra.description !== undefined ? [`description=${quote(node.extra.description)}`] : [];
    lines.push(statement(head, [...description, ...section('attributes', node.attributes), ...section('utilization', node.utilization)]));
  }
  // Each resource's primitives, then its group/clone, so the order reads back the same.
  for (const resource of configuration.resources) {
    for (const child of primitivesOf(resource)) lines.push(primitive(child));
    lines.push(...container(resource));
  }
  for (const constraint of configuration.constraints) lines.push(constraintText(constraint));
  if (Object.keys(configuration.properties).length > 0) lines.push(statement('property cib-bootstrap-options:', pairs(configuration.properties)));
  if (Object.keys(configuration.rscDefaults).length > 0) lines.push(statement('rsc_defaults rsc-options:', pairs(configuration.rscDefaults)));
  if (Object.keys(configuration.opDefaults).length > 0) lines.push(statement('op_defaults op-options:', pairs(configuration.opDefaults)));
  lines.push(...fencing(configuration));
  return lines.join('\n') + '\n';
}
