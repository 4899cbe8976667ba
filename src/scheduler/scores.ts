// Node scores before assignment: the symmetric default, location constraints and their
// rules, stickiness on the current node, and bans from failures and hard errors.

import type { LocationConstraint } from '../model/config.js';
import { INFINITY, addScores, parseScore } from '../model/score.js';
import { failCount } from './failures.js';
import { ruleMatches, ruleScore } from './rules.js';
import { anonymousCloneOf, RoleRank, type NodeScores, type ScoreNote, type SchedNode, type SchedPrimitive, type SchedResource } from './types.js';
import { roleRank, type WorkingSet } from './unpack.js';

/** Adds a score for a node to a resource and everything it contains, remembering why. */
export function addLocation(resource: SchedResource, node: SchedNode, score: number, reason: string): void {
  addNotedScore(resource, { node: node.name, score, reason });
}

/** Adds a note's score to a resource and everything it contains; notes never change, so they share it. */
function addNotedScore(resource: SchedResource, note: ScoreNote): void {
  resource.allowed.set(note.node, addScores(resource.allowed.get(note.node) ?? 0, note.score));
  resource.notes.push(note);
  if (resource.kind === 'group') for (const child of resource.children) addNotedScore(child, note);
  if (resource.kind === 'clone') for (const instance of resource.instances) addNotedScore(instance, note);
}

/**
 * A location constraint's score for a node (group_rsc_location): a group passes it to its
 * first member only, the others following that one, and lists the node for them with 0;
 * a clone passes it to every instance.
 */
function applyLocation(resource: SchedResource, note: ScoreNote): void {
  if (resource.kind === 'primitive') {
    addNotedScore(resource, note);
    return;
  }
  resource.allowed.set(note.node, addScores(resource.allowed.get(note.node) ?? 0, note.score));
  resource.notes.push(note);
  if (resource.kind === 'group') {
    const listed = { ...note, score: 0 };
    resource.children.forEach((child, index) => addNotedScore(child, index === 0 ? note : listed));
  } else {
    for (const instance of resource.instances) applyLocation(instance, note);
  }
}

/** A copy of node scores (entry by entry: copying through an iterator allocates for every entry). */
export function copyScores(scores: NodeScores): NodeScores {
  const copy: NodeScores = new Map();
  scores.forEach((score, name) => copy.set(name, score));
  return copy;
}

export function allPrimitives(resource: SchedResource): SchedPrimitive[] {
  if (resource.kind === 'primitive') return [resource];
  if (resource.kind === 'group') return resource.children;
  return resource.instances.flatMap((instance) => allPrimitives(instance));
}


/** Role-specific location scores (role=Promoted), applied when choosing promotions. */
export interface PromotedLocation {
  clone: string;
  nodeScores: Map<string, number>;
}

function locationTargets(constraint: LocationConstraint, ws: WorkingSet): SchedResource[] {
  if (constraint.rsc !== undefined) {
    const resource = ws.byId.get(constraint.rsc);
    return resource ? [resource] : [];
  }
  if (constraint.rscPattern !== undefined) {
    let pattern: RegExp;
    try {
      pattern = new RegExp(constraint.rscPattern);
    } catch {
      return [];
    }
    return ws.resources.filter((resource) => pattern.test(resource.id));
  }
  return [];
}

/** Per node, the score this constraint gives (nodes it says nothing about are absent). */
function constraintNodeScores(constraint: LocationConstraint, ws: WorkingSet): Map<SchedNode, number> {
  const scores = new Map<SchedNode, number>();
  if (constraint.node !== undefined) {
    const node = ws.nodeByName.get(constraint.node);
    const score = parseScore(constraint.score ?? '0');
    if (node && score !== undefined) scores.set(node, score);
    return scores;
  }
  for (const rule of constraint.rules) {
    for (const node of ws.nodes) {
      if (!ruleMatches(rule, node.attributes)) continue;
      scores.set(node, addScores(scores.get(node) ?? 0, ruleScore(rule, node.attributes)));
    }
  }
  return scores;
}

function ruleRole(constraint: LocationConstraint): RoleRank {
  const ruleWithRole = constraint.rules.find((rule) => rule.role !== undefined);
  return roleRank(constraint.role ?? ruleWithRole?.role);
}

export function applyNodeCriteria(ws: WorkingSet, locations: LocationConstraint[]): Map<string, Map<string, number>> {
  const promotedScores = new Map<string, Map<string, number>>();
  if (ws.options.symmetricCluster) {
    const notes = ws.nodes.map((node) => ({ node: node.name, score: 0, reason: 'symmetric cluster' }));
    // Indexed loops: this runs once per resource and node, too few times to be optimised,
    // where for-of allocates at every step.
    for (let resource = 0; resource < ws.resources.length; resource += 1) {
      for (let note = 0; note < notes.length; note += 1) addNotedScore(ws.resources[resource]!, notes[note]!);
    }
  }
  for (const resource of ws.resources) {
    if (resource.kind === 'primitive' && resource.orphan) for (const node of ws.nodes) addLocation(resource, node, -INFINITY, 'no longer configured: it may run nowhere');
  }
  for (const constraint of locations) {
    const role = ruleRole(constraint);
    for (const target of locationTargets(constraint, ws)) {
      const scores = constraintNodeScores(constraint, ws);
      if (role === RoleRank.Promoted) {
        const clone = target.kind === 'clone' ? target : undefined;
        if (!clone) continue;
        const table = promotedScores.get(clone.id) ?? new Map<string, number>();
        for (const [node, score] of scores) table.set(node.name, addScores(table.get(node.name) ?? 0, score));
        promotedScores.set(clone.id, table);
        continue;
      }
      for (const [node, score] of scores) applyLocation(target, { node: node.name, score, reason: `location constraint ${constraint.id}` });
    }
  }
  for (const primitive of ws.primitives) applyStickinessAndFailures(primitive, ws);
  return promotedScores;
}

function applyStickinessAndFailures(primitive: SchedPrimitive, ws: WorkingSet): void {
  const current = primitive.runningOn.length === 1 ? primitive.runningOn[0] : undefined;
  if (current && primitive.managed && primitive.stickiness !== 0) {
    if (primitive.allowed.has(current.name) || ws.options.symmetricCluster) {
      addLocation(primitive, current, primitive.stickiness, 'resource-stickiness');
    }
  }
  for (const node of ws.nodes) {
    if (primitive.hardErrorNodes.has(node.name)) addLocation(primitive, node, -INFINITY, 'the agent cannot run here (hard error)');
    if (primitive.configurationError) addLocation(primitive, node, -INFINITY, 'the agent reported a configuration error');
    const failures = failCount(primitive, node, ws.nowS);
    // Ignoring failures (on-fail=ignore) ignores the migration threshold too (pcmk__threshold_reached).
    if (failures <= 0 || primitive.migrationThreshold <= 0 || primitive.failuresIgnored) continue;
    if (primitive.migrationThreshold - failures <= 0) {
      // An anonymous clone's instances are interchangeable: the whole clone is kept away.
      const banned = anonymousCloneOf(primitive) ?? primitive;
      addLocation(banned, node, -INFINITY, `${failures} failure(s) reached migration-threshold=${primitive.migrationThreshold}`);
    }
  }
}

