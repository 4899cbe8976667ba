// Shrinks a differing case to a smaller one that still differs (greedy delta debugging):
// drop injections, constraints, resources, group members and history while the
// difference remains. Bounded in attempts so it always ends.

import type { Resource } from '../model/config.js';
import { compareCase } from './compare.js';
import type { DifferentialCase } from './generate.js';

const maxAttempts = 300;

function resourceIds(resource: Resource): string[] {
  if (resource.kind === 'primitive') return [resource.id];
  if (resource.kind === 'group') return [resource.id, ...resource.children.map((child) => child.id)];
  return [resource.id, ...resourceIds(resource.child)];
}

function withoutResource(testCase: DifferentialCase, index: number): DifferentialCase {
  const next = structuredClone(testCase);
  const [removed] = next.cib.configuration.resources.splice(index, 1);
  if (!removed) return next;
  const ids = new Set(resourceIds(removed));
  const mentions = (id: string | undefined) => id !== undefined && ids.has(id);
  next.cib.configuration.constraints = next.cib.configuration.constraints.filter((constraint) => {
    if (constraint.type === 'location') return !mentions(constraint.rsc);
    if (constraint.type === 'colocation') return !mentions(constraint.rsc?.id) && !mentions(constraint.withRsc?.id);
    if (constraint.type === 'ticket') return !mentions(constraint.rsc?.id) && !(constraint.sets ?? []).some((set) => set.resources.some(mentions));
    return !mentions(constraint.first?.id) && !mentions(constraint.then?.id);
  });
  for (const state of next.cib.status.nodes) state.resources = state.resources.filter((history) => !ids.has(history.id.replace(/:\d+$/, '')));
  next.opInject = next.opInject.filter((spec) => ![...ids].some((id) => spec.startsWith(`${id}_`) || spec.startsWith(`${id}:`)));
  return next;
}

function candidates(testCase: DifferentialCase): DifferentialCase[] {
  const list: DifferentialCase[] = [];
  const drop = <T>(items: T[], index: number) => items.filter((_, position) => position !== index);
  testCase.opInject.forEach((_, index) => list.push({ ...structuredClone(testCase), opInject: drop(testCase.opInject, index) }));
  testCase.nodeUp.forEach((_, index) => list.push({ ...structuredClone(testCase), nodeUp: drop(testCase.nodeUp, index) }));
  testCase.nodeDown.forEach((_, index) => list.push({ ...structuredClone(testCase), nodeDown: drop(testCase.nodeDown, index) }));
  testCase.nodeFail.forEach((_, index) => list.push({ ...structuredClone(testCase), nodeFail: drop(testCase.nodeFail, index) }));
  testCase.cib.configuration.resources.forEach((_, index) => list.push(withoutResource(testCase, index)));
  testCase.cib.configuration.constraints.forEach((_, index) => {
    const next = structuredClone(testCase);
    next.cib.configuration.constraints.splice(index, 1);
    list.push(next);
  });
  testCase.cib.status.nodes.forEach((state, nodeIndex) => {
    state.resources.forEach((_, historyIndex) => {
      const next = structuredClone(testCase);
      next.cib.status.nodes[nodeIndex]!.resources.splice(historyIndex, 1);
      list.push(next);
    });
  });
  return list;
}

export function minimise(testCase: DifferentialCase, nowS: number): DifferentialCase {
  let current = testCase;
  let attempts = 0;
  let shrunk = true;
  while (shrunk && attempts < maxAttempts) {
    shrunk = false;
    for (const candidate of candidates(current)) {
      attempts += 1;
      if (attempts >= maxAttempts) break;
      let differs: boolean;
      try {
        const result = compareCase(candidate, nowS);
        differs = !result.match && !result.skipped;
      } catch {
        continue;
      }
      if (differs) {
        current = candidate;
        shrunk = true;
        break;
      }
    }
  }
  return current;
}
