// `simulate --explain RSC`: why a resource goes where it goes, in plain words: every score
// that contributed on every node, where it came from, and how the winner was picked.

import { formatScore } from '../model/score.js';
import type { Transition } from '../scheduler/index.js';

function signed(score: number): string {
  const text = formatScore(score);
  return score >= 0 ? `+${text}` : text;
}

export function explain(transition: Transition, resourceId: string): string {
  const matching = transition.placement.filter(
    (place) => place.resource === resourceId || place.resource.startsWith(`${resourceId}:`) || transition.notes.get(place.resource)?.some((note) => note.reason.includes(resourceId)),
  );
  const exact = transition.placement.filter((place) => place.resource === resourceId || place.resource.replace(/:\d+$/, '') === resourceId);
  const targets = exact.length > 0 ? exact : matching;
  if (targets.length === 0) return `Explanation: no resource named "${resourceId}" in this configuration.`;
  const lines = [`Explanation for ${resourceId}:`];
  for (const place of targets) {
    const where = place.next ? `${place.nextRole} on ${place.next}` : 'stopped (no node may run it)';
    const from = place.current.length > 0 ? `${place.role} on ${place.current.join(', ')}` : 'stopped';
    lines.push(`  ${place.resource}: now ${from}; next ${where}.`);
    if (!place.managed) {
      lines.push('    It is not managed (is-managed=false, maintenance, or start-up disabled because fencing is on without a fencing device): tandem leaves it as it is.');
      continue;
    }
    const notes = transition.notes.get(place.resource) ?? [];
    const scores = transition.scores.get(place.resource) ?? new Map<string, number>();
    const nodes = [...new Set([...scores.keys(), ...notes.map((note) => note.node)])].sort();
    for (const node of nodes) {
      const condition = transition.nodes.find((candidate) => candidate.name === node);
      const unable = condition && !condition.canRun ? ` (${condition.condition}: cannot run resources)` : '';
      lines.push(`    ${node}: final score ${formatScore(scores.get(node) ?? Number.NEGATIVE_INFINITY)}${unable}`);
      for (const note of notes.filter((candidate) => candidate.node === node)) lines.push(`      ${signed(note.score).padStart(10)}  ${note.reason}`);
    }
    if (place.next) {
      lines.push(`    ${place.next} was chosen: it has the highest score among nodes able to run resources; equal scores go to the node with fewer resources assigned, then (for a positive score) to the current node, then by node name.`);
    } else {
      lines.push('    No node has a score of 0 or more on a node able to run resources (online, not standby, not in maintenance), so it stays stopped.');
    }
  }
  return lines.join('\n');
}
