// A configuration against the agents it names, as crmsh checks it: an agent that is not
// installed (or no built-in one of that name), or a parameter the agent requires that is
// missing, is an error; a parameter the agent does not declare is a warning; a built-in
// agent's parameters must also pass its own check. Pure: OCF agents are looked up through
// `describe`, built-in ones are known.

import type { Configuration, Primitive, Resource } from '../model/config.js';
import { InputError, type InputWarning, type SourcePosition } from '../model/errors.js';
import { builtinAgents } from './builtin.js';
import { parseAgentMetadata, type AgentLookup, type DescribeAgent } from './ocf-metadata.js';

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

/** A built-in agent as a lookup: always there if tandem has it, with its own meta-data. */
function describeBuiltin(type: string): AgentLookup | undefined {
  const agent = builtinAgents[type];
  return agent ? { installed: true, description: parseAgentMetadata(agent.metadata) } : undefined;
}

/** `where`: the place a resource is defined, for messages. */
/** `describe` undefined: OCF agents are not looked at (the machine may lack them); built-in ones always are. */
export function checkAgents(configuration: Configuration, describe: DescribeAgent | undefined, where: (resourceId: string) => SourcePosition): AgentFindings {
  const findings: AgentFindings = { errors: [], warnings: [] };
  for (const primitive of primitivesIn(configuration.resources)) {
    const { agent } = primitive;
    if (agent.class !== 'tandem' && (agent.class !== 'ocf' || describe === undefined)) continue;
    const name = agent.class === 'ocf' ? `ocf:${agent.provider ?? 'heartbeat'}:${agent.type}` : `tandem:${agent.type}`;
    const position = where(primitive.id);
    const lookup = agent.class === 'ocf' ? describe!(agent) : describeBuiltin(agent.type);
    if (lookup === undefined) {
      findings.errors.push(new InputError(`primitive ${primitive.id}: ${name} is not one of tandem's built-in agents (${Object.keys(builtinAgents).map((type) => `tandem:${type}`).join(', ')})`, position));
      continue;
    }
    if (!lookup.installed) {
      findings.errors.push(new InputError(`primitive ${primitive.id}: agent ${name} is not installed (no ${lookup.path})`, position));
      continue;
    }
    // A built-in agent's own check of its parameters is pure: what it finds is an error here and now.
    const problem = agent.class === 'tandem' ? builtinAgents[agent.type]!.paramsProblem(primitive.params) : undefined;
    if (problem !== undefined) findings.errors.push(new InputError(`primitive ${primitive.id}: ${name}: ${problem}`, position));
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
  // The id ends the match (what follows it is only looked at), so it is found from the end.
  const before = text.slice(0, match.index + match[0].length - match[1]!.length);
  const line = before.split('\n').length;
  return { file, line, column: before.length - before.lastIndexOf('\n') };
}

/** Checks a configuration read from `text`: throws its first error, returns its warnings. */
export function verifyAgents(configuration: Configuration, text: string, file: string, describe: DescribeAgent | undefined): InputWarning[] {
  const findings = checkAgents(configuration, describe, (id) => definitionPosition(text, file, id));
  const [first] = findings.errors;
  if (first) throw first;
  return findings.warnings;
}
