// Writes <resources>: primitives with their operations, groups, clones and promotable clones.

import type { Clone, Operation, Primitive, Resource } from '../../model/config.js';
import { isTrue } from './read-values.js';
import { attributeSet, roleName, type WriteContext } from './write-common.js';
import { element, type OutElement } from './xml-render.js';

/** Op attributes the schema allows on <op> itself; any other goes into its meta_attributes. */
const opAttributeNames = ['description', 'start-delay', 'interval-origin', 'enabled', 'record-pending'];
/** Op attributes that are really agent parameters (crm shell writes them among the others). */
const opParameterNames = ['OCF_CHECK_LEVEL'];

function operation(context: WriteContext, op: Operation, ownerId: string): OutElement {
  const id = op.id ?? context.ids.fresh(`${ownerId}-${op.name}-interval-${op.interval}`);
  const inline: Array<[string, string]> = [];
  const meta: Record<string, string> = {};
  const params: Record<string, string> = {};
  for (const [name, value] of Object.entries(op.attributes)) {
    if (opAttributeNames.includes(name)) inline.push([name, value]);
    else if (opParameterNames.includes(name)) params[name] = value;
    else meta[name] = value;
  }
  Object.assign(params, op.params);
  return element(
    'op',
    [['id', id], ['name', op.name], ['interval', op.interval], ['timeout', op.timeout], ['role', roleName(context, op.role)], ['on-fail', op.onFail], ...inline],
    [...attributeSet(context, 'instance_attributes', `${id}-instance_attributes`, params), ...attributeSet(context, 'meta_attributes', `${id}-meta_attributes`, meta)],
  );
}

function primitive(context: WriteContext, resource: Primitive): OutElement {
  const { id } = resource;
  return element(
    'primitive',
    [['id', id], ['class', resource.agent.class], ['provider', resource.agent.provider], ['type', resource.agent.type], ['description', resource.description], ...Object.entries(resource.extra)],
    [
      ...attributeSet(context, 'instance_attributes', `${id}-instance_attributes`, resource.params),
      ...attributeSet(context, 'meta_attributes', `${id}-meta_attributes`, resource.meta),
      ...attributeSet(context, 'utilization', `${id}-utilization`, resource.utilization),
      ...(resource.ops.length > 0 ? [element('operations', [], resource.ops.map((op) => operation(context, op, id)))] : []),
    ],
  );
}

/** A promotable <clone> says so in its meta attributes; <master> says so by its name. */
function cloneMeta(clone: Clone): Record<string, string> {
  if (!clone.promotable || clone.legacyMaster || isTrue(clone.meta.promotable)) return clone.meta;
  return { ...clone.meta, promotable: 'true' };
}

export function resourceElement(context: WriteContext, resource: Resource): OutElement {
  if (resource.kind === 'primitive') return primitive(context, resource);
  const { id } = resource;
  const attributes: Array<[string, string | undefined]> = [['id', id], ['description', resource.description], ...Object.entries(resource.extra)];
  const meta = resource.kind === 'clone' ? cloneMeta(resource) : resource.meta;
  const sets = [...attributeSet(context, 'instance_attributes', `${id}-instance_attributes`, resource.params), ...attributeSet(context, 'meta_attributes', `${id}-meta_attributes`, meta)];
  if (resource.kind === 'group') return element('group', attributes, [...sets, ...resource.children.map((member) => primitive(context, member))]);
  return element(resource.legacyMaster ? 'master' : 'clone', attributes, [...sets, resourceElement(context, resource.child)]);
}
