// Reads the <configuration> section of a CIB into the model. Sections and elements tandem
// does not model are kept as UnknownElements (see README.md for where they go).

import { emptyConfiguration, type Configuration, type FencingLevel, type NodeDefinition } from '../../model/config.js';
import { InputError } from '../../model/errors.js';
import { readConstraint } from './read-constraints.js';
import { readResource } from './read-resources.js';
import { readNvpairs, toUnknown } from './read-values.js';
import { children, otherAttributes, required, type XmlElement } from './xml-source.js';

function readNode(element: XmlElement): NodeDefinition {
  const node: NodeDefinition = {
    id: required(element, 'id'),
    uname: required(element, 'uname'),
    attributes: readNvpairs(element, 'instance_attributes'),
    utilization: readNvpairs(element, 'utilization'),
    extra: otherAttributes(element, ['id', 'uname', 'type']),
  };
  if (element.attributes.type !== undefined) node.type = element.attributes.type;
  return node;
}

function readFencingLevel(element: XmlElement): FencingLevel {
  const indexText = required(element, 'index');
  if (!/^[1-9]\d{0,8}$/.test(indexText)) throw new InputError(`<fencing-level> index="${indexText}" must be a positive integer`, element.position);
  const level: FencingLevel = { index: Number(indexText), devices: required(element, 'devices').split(',').map((device) => device.trim()).filter(Boolean) };
  if (level.devices.length === 0) throw new InputError('<fencing-level> needs a "devices" attribute', element.position);
  const { id, target } = element.attributes;
  if (id !== undefined) level.id = id;
  if (target !== undefined) level.target = target;
  if (element.attributes['target-pattern'] !== undefined) level.targetPattern = element.attributes['target-pattern'];
  if (element.attributes['target-attribute'] !== undefined) level.targetAttribute = element.attributes['target-attribute'];
  if (element.attributes['target-value'] !== undefined) level.targetValue = element.attributes['target-value'];
  return level;
}

/**
 * Children of <resources> and <constraints> that tandem does not model (bundle, template,
 * rsc_ticket) are kept one by one, each wrapped in an element named after its section.
 */
function keepInSection(configuration: Configuration, section: string, element: XmlElement): void {
  configuration.unknown.push({ tag: section, attributes: {}, children: [toUnknown(element)] });
}

export function readConfiguration(element: XmlElement): Configuration {
  const configuration = emptyConfiguration();
  for (const section of element.children) {
    switch (section.tag) {
      case 'crm_config':
        // Pacemaker reads cib-bootstrap-options before any other property set.
        configuration.properties = readNvpairs(section, 'cluster_property_set', 'cib-bootstrap-options');
        break;
      case 'nodes':
        configuration.nodes = children(section, 'node').map(readNode);
        break;
      case 'resources':
        for (const part of section.children) {
          const resource = readResource(part);
          if (resource) configuration.resources.push(resource);
          else keepInSection(configuration, 'resources', part);
        }
        break;
      case 'constraints':
        for (const part of section.children) {
          const constraint = readConstraint(part);
          if (constraint) configuration.constraints.push(constraint);
          else keepInSection(configuration, 'constraints', part);
        }
        break;
      case 'rsc_defaults':
        configuration.rscDefaults = readNvpairs(section, 'meta_attributes');
        break;
      case 'op_defaults':
        configuration.opDefaults = readNvpairs(section, 'meta_attributes');
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
