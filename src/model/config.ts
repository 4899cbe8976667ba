// The cluster configuration: tandem's typed form of Pacemaker's CIB <configuration>.
// Readers (crm syntax, CIB XML) build it; writers print it; the scheduler reads it.
// Anything well-formed that tandem does not interpret is kept in `extra`/`unknown` so a
// round trip drops nothing.

export type Role = 'Started' | 'Stopped' | 'Promoted' | 'Unpromoted';

/** Attributes of an element that tandem does not interpret, kept verbatim. */
export type ExtraAttributes = Record<string, string>;

/** A well-formed element tandem does not interpret, kept as a tree for round trips. */
export interface UnknownElement {
  tag: string;
  attributes: Record<string, string>;
  children: UnknownElement[];
  text?: string;
}

export interface NodeDefinition {
  id: string;
  uname: string;
  type?: string;
  /** Permanent node attributes (instance_attributes), e.g. standby, site. */
  attributes: Record<string, string>;
  utilization: Record<string, string>;
  extra: ExtraAttributes;
}

export interface AgentSpec {
  class: string; // ocf, lsb, systemd, service, stonith, tandem
  provider?: string; // only for ocf
  type: string;
}

export interface Operation {
  id?: string;
  name: string; // start, stop, monitor, promote, demote, notify, migrate_to ...
  /** As written (e.g. "30s", "0", "1min"); intervalMs is derived. */
  interval: string;
  intervalMs: number;
  timeout?: string;
  role?: Role;
  onFail?: string;
  /** Other operation attributes (e.g. start-delay, enabled, requires), kept verbatim. */
  attributes: Record<string, string>;
  /** Parameters for this operation only (CIB op instance_attributes, e.g. OCF_CHECK_LEVEL). */
  params?: Record<string, string>;
}

/** Parameters an operation adds to its resource's: its own (CIB op instance_attributes), and OCF_CHECK_LEVEL however written. */
export function operationParams(op: Operation): Record<string, string> {
  const level = op.attributes.OCF_CHECK_LEVEL;
  return { ...(level !== undefined ? { OCF_CHECK_LEVEL: level } : {}), ...op.params };
}

/** An operation switched off (enabled=false): Pacemaker does not run it. */
export function operationEnabled(op: Operation): boolean {
  return !/^(false|no|off|0|n)$/i.test(op.attributes.enabled ?? 'true');
}

export interface Primitive {
  kind: 'primitive';
  id: string;
  agent: AgentSpec;
  params: Record<string, string>;
  meta: Record<string, string>;
  utilization: Record<string, string>;
  ops: Operation[];
  description?: string;
  extra: ExtraAttributes;
}

export interface Group {
  kind: 'group';
  id: string;
  children: Primitive[];
  meta: Record<string, string>;
  params: Record<string, string>;
  description?: string;
  extra: ExtraAttributes;
}

export interface Clone {
  kind: 'clone';
  id: string;
  /** True for crmsh `ms`, CIB <master>, or meta promotable=true. */
  promotable: boolean;
  /** How it was written, so writers can print it back the same way. */
  legacyMaster: boolean;
  child: Primitive | Group;
  meta: Record<string, string>;
  params: Record<string, string>;
  description?: string;
  extra: ExtraAttributes;
}

export type Resource = Primitive | Group | Clone;

export type ExpressionOp = 'lt' | 'gt' | 'lte' | 'gte' | 'eq' | 'ne' | 'defined' | 'not_defined';

export interface AttributeExpression {
  kind: 'expression';
  id?: string;
  attribute: string;
  operation: ExpressionOp;
  value?: string;
  type?: 'string' | 'number' | 'integer' | 'version';
  valueSource?: string;
}

/** date_expression and other rule parts tandem keeps but does not evaluate. */
export interface UnknownExpression {
  kind: 'unknown';
  element: UnknownElement;
}

export interface Rule {
  id?: string;
  /** A number, or a symbolic score (INFINITY, -INFINITY, +INFINITY). */
  score?: string;
  scoreAttribute?: string;
  booleanOp: 'and' | 'or';
  role?: Role;
  expressions: Array<AttributeExpression | Rule | UnknownExpression>;
}

export interface ResourceRef {
  id: string;
  role?: Role;
  action?: ActionName;
}

/** A resource set as in <resource_set>; crmsh writes these as parenthesised groups. */
export interface ResourceSet {
  id?: string;
  resources: string[];
  sequential: boolean;
  requireAll: boolean;
  role?: Role;
  action?: ActionName;
  score?: string;
  kind?: OrderKind;
}

export type ActionName = 'start' | 'stop' | 'promote' | 'demote';
export type OrderKind = 'Mandatory' | 'Optional' | 'Serialize';

export interface LocationConstraint {
  type: 'location';
  id: string;
  rsc?: string;
  rscPattern?: string;
  role?: Role;
  /** Score as written (number, INFINITY, -inf ...), absent when rules are used. */
  score?: string;
  node?: string;
  rules: Rule[];
  resourceDiscovery?: string;
  extra: ExtraAttributes;
}

export interface ColocationConstraint {
  type: 'colocation';
  id: string;
  score: string;
  /** Two-resource form: rsc is placed relative to withRsc. */
  rsc?: ResourceRef;
  withRsc?: ResourceRef;
  sets?: ResourceSet[];
  nodeAttribute?: string;
  extra: ExtraAttributes;
}

export interface OrderConstraint {
  type: 'order';
  id: string;
  kind?: OrderKind;
  score?: string;
  first?: ResourceRef;
  then?: ResourceRef;
  sets?: ResourceSet[];
  symmetrical?: boolean;
  extra: ExtraAttributes;
}

/** What happens to a resource that runs when its ticket is revoked (rsc_ticket loss-policy). */
export type LossPolicy = 'stop' | 'demote' | 'fence' | 'freeze';

export const lossPolicies: readonly LossPolicy[] = ['stop', 'demote', 'fence', 'freeze'];

/**
 * rsc_ticket: resources that may run only while the cluster holds a ticket (geo-clusters).
 * Either one resource (rsc, with an optional role) or resource sets, each set with its role.
 */
export interface TicketConstraint {
  type: 'ticket';
  id: string;
  ticket: string;
  rsc?: ResourceRef;
  sets?: ResourceSet[];
  /** As configured; absent means stop, or demote for the Promoted role. */
  lossPolicy?: LossPolicy;
  extra: ExtraAttributes;
}

export type Constraint = LocationConstraint | ColocationConstraint | OrderConstraint | TicketConstraint;

export interface FencingLevel {
  id?: string;
  index: number;
  target?: string;
  targetPattern?: string;
  /** Targets the nodes whose attribute targetAttribute equals targetValue. */
  targetAttribute?: string;
  targetValue?: string;
  devices: string[];
}

export interface Configuration {
  nodes: NodeDefinition[];
  resources: Resource[];
  constraints: Constraint[];
  /** cluster properties (crm_config, cib-bootstrap-options) */
  properties: Record<string, string>;
  rscDefaults: Record<string, string>;
  opDefaults: Record<string, string>;
  fencingTopology: FencingLevel[];
  /** Sections tandem does not interpret (tags, acls, alerts, rsc_ticket ...). */
  unknown: UnknownElement[];
}

export function emptyConfiguration(): Configuration {
  return {
    nodes: [],
    resources: [],
    constraints: [],
    properties: {},
    rscDefaults: {},
    opDefaults: {},
    fencingTopology: [],
    unknown: [],
  };
}

/** The configured primitive with this id, wherever it sits (alone, in a group, in a clone). */
export function findPrimitive(resources: Resource[], id: string): Primitive | undefined {
  for (const resource of resources) {
    if (resource.kind === 'primitive' && resource.id === id) return resource;
    if (resource.kind === 'group') {
      const member = resource.children.find((child) => child.id === id);
      if (member) return member;
    }
    if (resource.kind === 'clone') {
      const found = findPrimitive([resource.child], id);
      if (found) return found;
    }
  }
  return undefined;
}
