// Writes <constraints>: locations with their rules, colocations, orders and tickets.

import type { AttributeExpression, Constraint, ResourceSet, Rule, UnknownExpression } from '../../model/config.js';
import { parseScore } from '../../model/score.js';
import { roleName, scoreText, unknownElement, type WriteContext } from './write-common.js';
import { element, type OutElement } from './xml-render.js';

function expression(context: WriteContext, part: AttributeExpression | Rule | UnknownExpression, ruleId: string): OutElement {
  if (!('kind' in part)) return rule(context, part, ruleId);
  if (part.kind === 'unknown') return unknownElement(part.element);
  return element('expression', [
    ['id', part.id ?? context.ids.fresh(`${ruleId}-expression`)],
    ['attribute', part.attribute],
    ['operation', part.operation],
    ['value', part.value],
    ['type', part.type],
    ['value-source', part.valueSource],
  ]);
}

function rule(context: WriteContext, value: Rule, ownerId: string): OutElement {
  const id = value.id ?? context.ids.fresh(`${ownerId}-rule`);
  return element(
    'rule',
    [['id', id], ['score', scoreText(value.score)], ['score-attribute', value.scoreAttribute], ['boolean-op', value.booleanOp === 'or' ? 'or' : undefined], ['role', roleName(context, value.role)]],
    value.expressions.map((part) => expression(context, part, id)),
  );
}

function resourceSets(context: WriteContext, sets: ResourceSet[], ownerId: string): OutElement[] {
  return sets.map((set) =>
    element(
      'resource_set',
      [
        ['id', set.id ?? context.ids.fresh(`${ownerId}-set`)],
        ['sequential', set.sequential ? undefined : 'false'],
        ['require-all', set.requireAll ? undefined : 'false'],
        ['role', roleName(context, set.role)],
        ['action', set.action],
        ['score', scoreText(set.score)],
        ['kind', set.kind],
      ],
      set.resources.map((id) => element('resource_ref', [['id', id]])),
    ),
  );
}

/**
 * Pacemaker 2.1 deprecates score on orders, so it is written as the kind it stands for:
 * Pacemaker 2.1.5 takes a score of 0 as Optional and any other, negative too, as Mandatory.
 */
function orderKind(kind: string | undefined, score: string | undefined): string | undefined {
  if (kind !== undefined || score === undefined) return kind;
  return parseScore(score) === 0 ? 'Optional' : 'Mandatory';
}

export function constraintElement(context: WriteContext, value: Constraint): OutElement {
  const extra = Object.entries(value.extra);
  if (value.type === 'location') {
    return element(
      'rsc_location',
      [['id', value.id], ['rsc', value.rsc], ['rsc-pattern', value.rscPattern], ['role', roleName(context, value.role)], ['score', scoreText(value.score)], ['node', value.node], ['resource-discovery', value.resourceDiscovery], ...extra],
      value.rules.map((part) => rule(context, part, value.id)),
    );
  }
  if (value.type === 'colocation') {
    return element(
      'rsc_colocation',
      [
        ['id', value.id],
        ['score', scoreText(value.score)],
        ['rsc', value.rsc?.id],
        ['with-rsc', value.withRsc?.id],
        ['rsc-role', roleName(context, value.rsc?.role)],
        ['with-rsc-role', roleName(context, value.withRsc?.role)],
        ['node-attribute', value.nodeAttribute],
        ...extra,
      ],
      resourceSets(context, value.sets ?? [], value.id),
    );
  }
  if (value.type === 'ticket') {
    return element(
      'rsc_ticket',
      [['id', value.id], ['ticket', value.ticket], ['rsc', value.rsc?.id], ['rsc-role', roleName(context, value.rsc?.role)], ['loss-policy', value.lossPolicy], ...extra],
      resourceSets(context, value.sets ?? [], value.id),
    );
  }
  return element(
    'rsc_order',
    [
      ['id', value.id],
      ['kind', orderKind(value.kind, value.score)],
      ['first', value.first?.id],
      ['first-action', value.first?.action],
      ['then', value.then?.id],
      ['then-action', value.then?.action],
      ['symmetrical', value.symmetrical === undefined ? undefined : String(value.symmetrical)],
      ...extra,
    ],
    resourceSets(context, value.sets ?? [], value.id),
  );
}
