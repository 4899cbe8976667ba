// Evaluates location rules against a node's attributes, as Pacemaker's rule engine does
// for attribute expressions. Date expressions are kept in the model but never match.

import type { AttributeExpression, Rule } from '../model/config.js';
import { parseScore } from '../model/score.js';

function compareValues(left: string, right: string, type: string | undefined): number {
  const kind = type ?? (isNumeric(left) && isNumeric(right) ? 'number' : 'string');
  if (kind === 'number' || kind === 'integer') return Number(left) - Number(right);
  if (kind === 'version') return compareVersions(left, right);
  return left < right ? -1 : left > right ? 1 : 0;
}

function isNumeric(text: string): boolean {
  return /^[+-]?\d+(\.\d+)?$/.test(text.trim());
}

function compareVersions(left: string, right: string): number {
  const a = left.split('.').map((part) => Number.parseInt(part, 10) || 0);
  const b = right.split('.').map((part) => Number.parseInt(part, 10) || 0);
  for (let index = 0; index < Math.max(a.length, b.length); index += 1) {
    const diff = (a[index] ?? 0) - (b[index] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

function evaluateExpression(expression: AttributeExpression, attributes: Record<string, string>): boolean {
  const actual = attributes[expression.attribute];
  if (expression.operation === 'defined') return actual !== undefined;
  if (expression.operation === 'not_defined') return actual === undefined;
  if (actual === undefined || expression.value === undefined) return expression.operation === 'ne';
  const order = compareValues(actual, expression.value, expression.type);
  switch (expression.operation) {
    case 'eq':
      return order === 0;
    case 'ne':
      return order !== 0;
    case 'lt':
      return order < 0;
    case 'lte':
      return order <= 0;
    case 'gt':
      return order > 0;
    case 'gte':
      return order >= 0;
  }
}

export function ruleMatches(rule: Rule, attributes: Record<string, string>): boolean {
  const results = rule.expressions.map((part) => {
    if (!('kind' in part)) return ruleMatches(part, attributes);
    if (part.kind === 'expression') return evaluateExpression(part, attributes);
    return false;
  });
  if (results.length === 0) return true;
  return rule.booleanOp === 'or' ? results.some(Boolean) : results.every(Boolean);
}

/** The score a matching rule gives: its score, or the node attribute named by score-attribute. */
export function ruleScore(rule: Rule, attributes: Record<string, string>): number {
  if (rule.scoreAttribute !== undefined) return parseScore(attributes[rule.scoreAttribute] ?? '0') ?? 0;
  return parseScore(rule.score ?? '0') ?? 0;
}
