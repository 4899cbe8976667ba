// What an installed OCF agent says about itself: its meta-data (parameters, which are
// required, the actions with their advised timeouts), read once per agent, and its
// validate-all verdict on a resource's parameters.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { XMLParser } from 'fast-xml-parser';
import type { AgentSpec, Primitive } from '../model/config.js';
import { parseDurationMs } from '../model/duration.js';
import { agentEnvironment, agentPath, defaultOcfRoot, ocfRcText } from './ocf.js';

const metadataTimeoutMs = 5_000;
const validateTimeoutMs = 20_000;

export interface AgentParameter {
  name: string;
  required: boolean;
}

export interface AgentAction {
  name: string;
  timeoutMs?: number;
  intervalMs?: number;
}

export interface AgentDescription {
  parameters: AgentParameter[];
  actions: AgentAction[];
}

/** The agent is not installed, or it is and says this about itself (undefined: it gave no usable meta-data). */
export type AgentLookup = { installed: false; path: string } | { installed: true; description: AgentDescription | undefined; detail?: string };

export type DescribeAgent = (agent: AgentSpec) => AgentLookup;

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => name === 'parameter' || name === 'action' });

interface RawElement {
  name?: string;
  required?: string;
  timeout?: string;
  interval?: string;
}

/** Reads an agent's meta-data document; throws when it is not one. */
export function parseAgentMetadata(xml: string): AgentDescription {
  const document = parser.parse(xml) as { 'resource-agent'?: { parameters?: { parameter?: RawElement[] }; actions?: { action?: RawElement[] } } };
  const root = document['resource-agent'];
  if (!root) throw new Error('no <resource-agent> element');
  const parameters = (root.parameters?.parameter ?? []).flatMap((raw) => (raw.name ? [{ name: raw.name, required: raw.required === '1' || raw.required === 'true' }] : []));
  const actions = (root.actions?.action ?? []).flatMap((raw) => {
    if (!raw.name) return [];
    const timeoutMs = parseDurationMs(raw.timeout ?? '');
    const intervalMs = parseDurationMs(raw.interval ?? '');
    return [{ name: raw.name, ...(timeoutMs !== undefined ? { timeoutMs } : {}), ...(intervalMs !== undefined ? { intervalMs } : {}) }];
  });
  return { parameters, actions };
}

/** Looks OCF agents up on this machine, running each one's meta-data once. */
export function createAgentDescriber(ocfRoot = defaultOcfRoot): DescribeAgent {
  const cache = new Map<string, AgentLookup>();
  return (agent) => {
    const path = agentPath(agent, ocfRoot);
    const cached = cache.get(path);
    if (cached) return cached;
    const lookup = lookUp(agent, path, ocfRoot);
    cache.set(path, lookup);
    return lookup;
  };
}

function lookUp(agent: AgentSpec, path: string, ocfRoot: string): AgentLookup {
  if (!existsSync(path)) return { installed: false, path };
  const result = spawnSync(path, ['meta-data'], { env: agentEnvironment({ agent, action: 'meta-data', instance: agent.type, params: {}, meta: {}, timeoutMs: metadataTimeoutMs, ocfRoot }), encoding: 'utf8', timeout: metadataTimeoutMs });
  if (result.status !== 0) return { installed: true, description: undefined, detail: `meta-data ended with ${result.status ?? result.signal}` };
  try {
    return { installed: true, description: parseAgentMetadata(result.stdout) };
  } catch (error) {
    return { installed: true, description: undefined, detail: `meta-data is not readable: ${(error as Error).message}` };
  }
}

/** Runs the agent's validate-all on a resource's parameters: undefined when they pass, else what it said. */
export function validateResource(primitive: Primitive, ocfRoot = defaultOcfRoot): string | undefined {
  const call = { agent: primitive.agent, action: 'validate-all', instance: primitive.id, params: primitive.params, meta: primitive.meta, timeoutMs: validateTimeoutMs, ocfRoot };
  const result = spawnSync(agentPath(primitive.agent, ocfRoot), ['validate-all'], { env: agentEnvironment(call), encoding: 'utf8', timeout: validateTimeoutMs });
  if (result.status === 0) return undefined;
  const said = `${result.stdout}${result.stderr}`.trim().split('\n').slice(-3).join(' / ');
  const code = result.status === null ? `killed by ${result.signal}` : `rc ${result.status} (${ocfRcText[result.status] ?? 'unknown'})`;
  return said ? `${code}: ${said}` : code;
}
