// Writes a CIB that Pacemaker 2.1's tools accept. Every element gets an id; ids the model
// does not keep are derived deterministically from their owner's id, so output is stable.

import type { Cib } from '../../model/cib.js';
import type {
  AttributeExpression,
  Configuration,
  Constraint,
  NodeDefinition,
  Operation,
  Primitive,
  Resource,
  ResourceSet,
  Rule,
  UnknownElement,
} from '../../model/config.js';
import type { NodeState, OperationRecord, ResourceHistory } from '../../model/status.js';
import { formatScore, parseScore } from '../../model/score.js';
import { element, renderXml, type OutElement } from '../xml/tree.js';

/** Scores as Pacemaker's schema wants them (crm's "inf" becomes "INFINITY"). */
function score(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const parsed = parseScore(value);
  return parsed === undefined ? value : formatScore(parsed);
}

function entries(record: Record<string, string>): Array<[string, string]> {
  return Object.entries(record);
}

function attributeSet(tag: string, ownerId: string, values: Record<string, string>): OutElement[] {
  const pairs = entries(values);
  if (pairs.length === 0) return [];
  const setId = `${ownerId}-${tag}`;
  return [element(tag, [['id', setId]], pairs.map(([name, value]) => element('nvpair', [['id', `${setId}-${name}`], ['name', name], ['value', value]])))];
}

function unknown(node: UnknownElement): OutElement {
  return element(node.tag, Object.entries(node.attributes), node.children.map(unknown), node.text);
}

function operation(op: Operation, ownerId: string): OutElement {
  const id = op.id ?? `${ownerId}-${op.name}-interval-${op.interval}`;
  return element('op', [
    ['id', id],
    ['name', op.name],
    ['interval', op.interval],
    ['timeout', op.timeout],
    ['role', op.role],
    ['on-fail', op.onFail],
    ...entries(op.attributes),
  ]);
}

function primitive(resource: Primitive): OutElement {
  return element(
    'primitive',
    [['id', resource.id], ['class', resource.agent.class], ['provider', resource.agent.provider], ['type', resource.agent.type], ['description', resource.description], ...entries(resource.extra)],
    [
      ...attributeSet('instance_attributes', resource.id, resource.params),
      ...attributeSet('meta_attributes', resource.id, resource.meta),
      ...attributeSet('utilization', resource.id, resource.utilization),
      ...(resource.ops.length > 0 ? [element('operations', [], resource.ops.map((op) => operation(op, resource.id)))] : []),
    ],
  );
}

function resourceElement(resource: Resource): OutElement {
  if (resource.kind === 'primitive') return primitive(resource);
  const common: Array<[string, string | undefined]> = [['id', resource.id], ['description', resource.description], ...entries(resource.extra)];
  const sets = [...attributeSet('instance_attributes', resource.id, resource.params), ...attributeSet('meta_attributes', resource.id, resource.meta)];
  if (resource.kind === 'group') return element('group', common, [...sets, ...resource.children.map(primitive)]);
  return element(resource.legacyMaster ? 'master' : 'clone', common, [...sets, resourceElement(resource.child)]);
}

function expression(part: AttributeExpression | Rule | { kind: 'unknown'; element: UnknownElement }, ruleId: string, index: number): OutElement {
  if (!('kind' in part)) return rule(part, `${ruleId}-rule-${index}`);
  if (part.kind === 'unknown') return unknown(part.element);
  return element('expression', [
    ['id', part.id ?? `${ruleId}-expression-${index}`],
    ['attribute', part.attribute],
    ['operation', part.operation],
    ['value', part.value],
    ['type', part.type],
    ['value-source', part.valueSource],
  ]);
}

function rule(value: Rule, fallbackId: string): OutElement {
  const id = value.id ?? fallbackId;
  return element(
    'rule',
    [['id', id], ['score', score(value.score)], ['score-attribute', value.scoreAttribute], ['boolean-op', value.booleanOp === 'or' ? 'or' : undefined], ['role', value.role]],
    value.expressions.map((part, index) => expression(part, id, index)),
  );
}

function resourceSets(sets: ResourceSet[], ownerId: string): OutElement[] {
  return sets.map((set, index) =>
    element(
      'resource_set',
      [
        ['id', set.id ?? `${ownerId}-set-${index}`],
        ['sequential', set.sequential ? undefined : 'false'],
        ['require-all', set.requireAll ? undefined : 'false'],
        ['role', set.role],
        ['action', set.action],
        ['score', score(set.score)],
        ['kind', set.kind],
      ],
      set.resources.map((id) => element('resource_ref', [['id', id]])),
    ),
  );
}

function constraint(value: Constraint): OutElement {
  if (value.type === 'location') {
    return element(
      'rsc_location',
      [['id', value.id], ['rsc', value.rsc], ['rsc-pattern', value.rscPattern], ['role', value.role], ['score', score(value.score)], ['node', value.node], ['resource-discovery', value.resourceDiscovery], ...entries(value.extra)],
      value.rules.map((part, index) => rule(part, `${value.id}-rule-${index}`)),
    );
  }
  if (value.type === 'colocation') {
    return element(
      'rsc_colocation',
      [
        ['id', value.id],
        ['score', score(value.score)],
        ['rsc', value.rsc?.id],
        ['with-rsc', value.withRsc?.id],
        ['rsc-role', value.rsc?.role],
        ['with-rsc-role', value.withRsc?.role],
        ['node-attribute', value.nodeAttribute],
        ...entries(value.extra),
      ],
      resourceSets(value.sets ?? [], value.id),
    );
  }
  return element(
    'rsc_order',
    [
      ['id', value.id],
      // Pacemaker 2.1 deprecates score on orders: a positive score is Mandatory, else Optional.
      ['kind', value.kind ?? (value.score === undefined ? undefined : (parseScore(value.score) ?? 0) > 0 ? 'Mandatory' : 'Optional')],
      ['first', value.first?.id],
      ['first-action', value.first?.action],
      ['then', value.then?.id],
      ['then-action', value.then?.action],
      ['symmetrical', value.symmetrical === undefined ? undefined : String(value.symmetrical)],
      ...entries(value.extra),
    ],
    resourceSets(value.sets ?? [], value.id),
  );
}

function node(value: NodeDefinition): OutElement {
  return element('node', [['id', value.id], ['uname', value.uname], ['type', value.type], ...entries(value.extra)], [
    ...attributeSet('instance_attributes', `nodes-${value.id}`, value.attributes),
    ...attributeSet('utilization', `nodes-${value.id}`, value.utilization),
  ]);
}

/** Unknown children of a known section (a bundle among resources) go back into it. */
function sectionExtras(configuration: Configuration, section: string): OutElement[] {
  return configuration.unknown.filter((item) => item.tag === section).flatMap((item) => item.children.map(unknown));
}

function configurationElement(configuration: Configuration): OutElement {
  const defaults = (tag: string, values: Record<string, string>) => (Object.keys(values).length > 0 ? [element(tag, [], attributeSet('meta_attributes', tag, values))] : []);
  return element('configuration', [], [
    element('crm_config', [], entries(configuration.properties).length > 0 ? [element('cluster_property_set', [['id', 'cib-bootstrap-options']], entries(configuration.properties).map(([name, value]) => element('nvpair', [['id', `cib-bootstrap-options-${name}`], ['name', name], ['value', value]])))] : []),
    element('nodes', [], configuration.nodes.map(node)),
    element('resources', [], [...configuration.resources.map(resourceElement), ...sectionExtras(configuration, 'resources')]),
    element('constraints', [], [...configuration.constraints.map(constraint), ...sectionExtras(configuration, 'constraints')]),
    ...defaults('rsc_defaults', configuration.rscDefaults),
    ...defaults('op_defaults', configuration.opDefaults),
    ...(configuration.fencingTopology.length > 0
      ? [element('fencing-topology', [], configuration.fencingTopology.map((level, index) => element('fencing-level', [['id', level.id ?? `fencing-${index}`], ['index', String(level.index)], ['target', level.target], ['target-pattern', level.targetPattern], ['devices', level.devices.join(',')]])))]
      : []),
    ...configuration.unknown.filter((item) => item.tag !== 'resources' && item.tag !== 'constraints').map(unknown),
  ]);
}

function operationRecord(op: OperationRecord): OutElement {
  const optional = (value: number | undefined) => (value === undefined ? undefined : String(value));
  return element('lrm_rsc_op', [
    ['id', op.id],
    ['operation', op.operation],
    ['call-id', String(op.callId)],
    ['rc-code', String(op.rc)],
    ['op-status', String(op.opStatus)],
    ['interval', String(op.intervalMs)],
    ['last-rc-change', optional(op.lastRcChange)],
    ['last-run', optional(op.lastRun)],
    ['exec-time', optional(op.execTimeMs)],
    ['queue-time', optional(op.queueTimeMs)],
    ['transition-key', op.transitionKey],
    ['transition-magic', op.transitionMagic],
    ['on_node', op.onNode],
    ...entries(op.extra),
  ]);
}

function history(value: ResourceHistory): OutElement {
  return element('lrm_resource', [['id', value.id], ['class', value.class], ['provider', value.provider], ['type', value.type], ...entries(value.extra)], value.ops.map(operationRecord));
}

function nodeState(state: NodeState): OutElement {
  return element(
    'node_state',
    [
      ['id', state.id],
      ['uname', state.uname],
      ['in_ccm', String(state.inCluster)],
      ['crmd', state.controllerOnline ? 'online' : 'offline'],
      ['join', state.join],
      ['expected', state.expected],
      ...entries(state.extra),
    ],
    [
      ...(Object.keys(state.transientAttributes).length > 0 ? [element('transient_attributes', [['id', state.id]], attributeSet('instance_attributes', `status-${state.id}`, state.transientAttributes))] : []),
      element('lrm', [['id', state.id]], [element('lrm_resources', [], state.resources.map(history))]),
    ],
  );
}

export function writeCib(cib: Cib): string {
  const attributes = { 'validate-with': 'pacemaker-3.9', 'crm_feature_set': '3.16.1', epoch: '1', num_updates: '0', admin_epoch: '0', ...cib.attributes };
  return renderXml(
    element('cib', [...Object.entries(attributes), ['have-quorum', cib.haveQuorum ? '1' : '0']], [configurationElement(cib.configuration), element('status', [], cib.status.nodes.map(nodeState))]),
  );
}
