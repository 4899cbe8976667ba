// Writes the <configuration> section: properties, nodes, resources, constraints,
// defaults, fencing topology and the sections kept verbatim.

import type { Configuration, FencingLevel, NodeDefinition } from '../../model/config.js';
import { attributeSet, unknownElement, type WriteContext } from './write-common.js';
import { constraintElement } from './write-constraints.js';
import { resourceElement } from './write-resources.js';
import { element, type OutElement } from './xml-render.js';

function node(context: WriteContext, value: NodeDefinition): OutElement {
  // The set ids crm_attribute gives node attributes.
  return element('node', [['id', value.id], ['uname', value.uname], ['type', value.type], ...Object.entries(value.extra)], [
    ...attributeSet(context, 'instance_attributes', `nodes-${value.id}`, value.attributes),
    ...attributeSet(context, 'utilization', `nodes-${value.id}-utilization`, value.utilization),
  ]);
}

function fencingLevel(context: WriteContext, level: FencingLevel): OutElement {
  const target = level.target ?? level.targetPattern ?? level.targetValue ?? 'level';
  return element('fencing-level', [
    ['id', level.id ?? context.ids.fresh(`fl-${target}-${level.index}`)],
    ['index', String(level.index)],
    ['target', level.target],
    ['target-pattern', level.targetPattern],
    ['target-attribute', level.targetAttribute],
    ['target-value', level.targetValue],
    ['devices', level.devices.join(',')],
  ]);
}

/** Kept children of <resources> or <constraints> (a bundle, an rsc_ticket) go back into it. */
function keptIn(configuration: Configuration, section: string): OutElement[] {
  return configuration.unknown.filter((item) => item.tag === section).flatMap((item) => item.children.map(unknownElement));
}

function defaults(context: WriteContext, tag: string, setId: string, values: Record<string, string>): OutElement[] {
  return Object.keys(values).length === 0 ? [] : [element(tag, [], attributeSet(context, 'meta_attributes', setId, values))];
}

export function configurationElement(context: WriteContext, configuration: Configuration): OutElement {
  return element('configuration', [], [
    element('crm_config', [], attributeSet(context, 'cluster_property_set', 'cib-bootstrap-options', configuration.properties)),
    element('nodes', [], configuration.nodes.map((value) => node(context, value))),
    element('resources', [], [...configuration.resources.map((resource) => resourceElement(context, resource)), ...keptIn(configuration, 'resources')]),
    element('constraints', [], [...configuration.constraints.map((constraint) => constraintElement(context, constraint)), ...keptIn(configuration, 'constraints')]),
    ...defaults(context, 'rsc_defaults', 'rsc-options', configuration.rscDefaults),
    ...defaults(context, 'op_defaults', 'op-options', configuration.opDefaults),
    ...(configuration.fencingTopology.length === 0 ? [] : [element('fencing-topology', [], configuration.fencingTopology.map((level) => fencingLevel(context, level)))]),
    ...configuration.unknown.filter((item) => item.tag !== 'resources' && item.tag !== 'constraints').map(unknownElement),
  ]);
}
