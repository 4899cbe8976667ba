// A configuration against the OCF agents it names, as crmsh checks it: an agent that is not
// installed, or a parameter the agent requires that is missing, is an error; a parameter the
// agent does not declare is a warning. Pure: the agents are looked up through `describe`.

import type { Configuration, Primitive, Resource } from '../model/config.js';
import { InputError, type InputWarning, type SourcePosition } from '../model/errors.js';
import type { DescribeAgent } from './ocf-metadata.js';

export interface AgentFindings {
  errors: InputError[];
  warnings: InputWarning[];
}

export function primitivesIn(resources: Resource[]): Primitive[] {
  return resources.flatMap((resource) => {
    if (resource.kind === 'primitive') return [resource];
    if (resource.kind === 'group') return resource.children;
    return primitivesIn([resource.child]);
  });
}

/** `where`: the place a resource is defined, for messages. */
export function checkAgents(configuration: Configuration, describe: DescribeAgent, where: (resourceId: string) => SourcePosition): AgentFindings {
  const findings: AgentFindings = { errors: [], warnings: [] };
  for (const primitive of primitivesIn(configuration.resources)) {
    if (primitive.agent.class !== 'ocf') continue;
    const name = `ocf:${primitive.agent.provider ?? 'heartbeat'}:${primitive.agent.type}`;
    const position = where(primitive.id);
    const lookup = describe(primitive.agent);
    if (!lookup.installed) {
      findings.errors.push(new InputError(`primitive ${primitive.id}: agent ${name} is not installed (no ${lookup.path})`, position));
      continue;
    }
    if (!lookup.description) {
      findings.warnings.push({ message: `primitive ${primitive.id}: cannot check its parameters: ${name} ${lookup.detail ?? 'gave no meta-data'}`, position });
      continue;
    }
    const declared = new Set(lookup.description.parameters.map((parameter) => parameter.name));
    for (const parameter of lookup.description.parameters) {
      if (parameter.required && primitive.params[parameter.name] === undefined) findings.errors.push(new InputError(`primitive ${primitive.id}: required parameter ${parameter.name} of ${name} is not set`, position));
    }
    for (const parameter of Object.keys(primitive.params)) {
      if (!declared.has(parameter)) findings.warnings.push({ message: `primitive ${primitive.id}: ${name} has no parameter ${parameter}`, position });
    }
  }
  return findings;
}

/** Where a resource is defined in a configuration text (crm syntax or CIB XML); the file's start when not found. */
export function definitionPosition(text: string, file: string, resourceId: string): SourcePosition {
  const id = resourceId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = new RegExp(`^[ \\t]*primitive[ \\t]+(${id})(?=[\\s\\\\])`, 'm').exec(text) ?? new RegExp(`<primitive\\b[^>]*\\bid="(${id})"`).exec(text);
  if (!match) return { file, line: 1, column: 1 };
  const before = text.slice(0, match.index + match[0].indexOf(match[1]!));
  const line = before.split('\n').length;
  return { file, line, column: before.length - before.lastIndexOf('\n') };
}

/** Checks a configuration read from `text`: throws its first error, returns its warnings. */
export function verifyAgents(configuration: Configuration, text: string, file: string, describe: DescribeAgent): InputWarning[] {
  const findings = checkAgents(configuration, describe, (id) => definitionPosition(text, file, id));
  const [first] = findings.errors;
  if (first) throw first;
  return findings.warnings;
}
