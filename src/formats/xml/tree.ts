// A plain element tree over fast-xml-parser, with each element's source position, so
// readers can say exactly where a well-formed but wrong element is.

import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { InputError, type SourcePosition } from '../../model/errors.js';

export interface XmlElement {
  tag: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string | undefined;
  position: SourcePosition;
}

type OrderedNode = Record<string, unknown> & { ':@'?: Record<string, string> };

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseAttributeValue: false,
  parseTagValue: false,
  trimValues: true,
  processEntities: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  commentPropName: '#comment',
});

/** Offsets where each line starts, for turning offsets into line and column quickly. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let index = text.indexOf('\n'); index !== -1; index = text.indexOf('\n', index + 1)) starts.push(index + 1);
  return starts;
}

function lineColumn(starts: number[], offset: number): { line: number; column: number } {
  let low = 0;
  let high = starts.length - 1;
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if (starts[middle]! <= offset) low = middle;
    else high = middle - 1;
  }
  return { line: low + 1, column: offset - starts[low]! + 1 };
}

/** Offsets of every start tag, in document order (comments and CDATA blanked out first). */
function startTagOffsets(text: string): number[] {
  const blanked = text.replace(/<!--[\s\S]*?-->|<!\[CDATA\[[\s\S]*?\]\]>/g, (match) => match.replace(/[^\n]/g, ' '));
  const offsets: number[] = [];
  const pattern = /<([A-Za-z_][\w.:-]*)/g;
  for (let match = pattern.exec(blanked); match !== null; match = pattern.exec(blanked)) offsets.push(match.index);
  return offsets;
}

export function parseXml(text: string, file: string): XmlElement {
  const validation = XMLValidator.validate(text, { allowBooleanAttributes: false });
  if (validation !== true) {
    const { line, col, msg } = validation.err;
    throw new InputError(`malformed XML: ${msg}`, { file, line: line || 1, column: col || 1 });
  }
  let ordered: OrderedNode[];
  try {
    ordered = parser.parse(text) as OrderedNode[];
  } catch (error) {
    // The validator passes a few things the parser refuses (an unclosed comment at the end).
    const message = error instanceof Error ? error.message : String(error);
    const line = /line[: ]+(\d+)/i.exec(message)?.[1];
    throw new InputError(`malformed XML: ${message}`, { file, line: line ? Number(line) : text.split('\n').length, column: 1 });
  }
  const offsets = startTagOffsets(text);
  const starts = lineStarts(text);
  let next = 0;
  const build = (node: OrderedNode): XmlElement | undefined => {
    const tag = Object.keys(node).find((key) => key !== ':@');
    if (tag === undefined || tag === '#text' || tag === '#comment') return undefined;
    const offset = offsets[next] ?? 0;
    next += 1;
    const children: XmlElement[] = [];
    let textContent: string | undefined;
    for (const child of (node[tag] as OrderedNode[]) ?? []) {
      if ('#text' in child) {
        textContent = (textContent ?? '') + String(child['#text']);
        continue;
      }
      const built = build(child);
      if (built) children.push(built);
    }
    return { tag, attributes: { ...(node[':@'] ?? {}) }, children, text: textContent, position: { file, ...lineColumn(starts, offset) } };
  };
  const roots = ordered.map(build).filter((element): element is XmlElement => element !== undefined);
  if (roots.length !== 1) throw new InputError(`expected one root element, found ${roots.length}`, { file, line: 1, column: 1 });
  return roots[0]!;
}

export function child(element: XmlElement, tag: string): XmlElement | undefined {
  return element.children.find((candidate) => candidate.tag === tag);
}

export function children(element: XmlElement, tag: string): XmlElement[] {
  return element.children.filter((candidate) => candidate.tag === tag);
}

export function required(element: XmlElement, name: string): string {
  const value = element.attributes[name];
  if (value === undefined || value === '') throw new InputError(`<${element.tag}> needs a "${name}" attribute`, element.position);
  return value;
}

/** Attributes other than the named ones, kept so a round trip drops nothing. */
export function otherAttributes(element: XmlElement, known: readonly string[]): Record<string, string> {
  const rest: Record<string, string> = {};
  for (const [name, value] of Object.entries(element.attributes)) if (!known.includes(name)) rest[name] = value;
  return rest;
}

function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/\n/g, '&#10;');
}

function escapeText(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** An element to write: attributes in the given order, undefined values left out. */
export interface OutElement {
  tag: string;
  attributes: Array<[string, string | undefined]>;
  children: OutElement[];
  text?: string;
}

export function element(tag: string, attributes: Array<[string, string | undefined]>, children: OutElement[] = [], text?: string): OutElement {
  return { tag, attributes, children, text };
}

export function renderXml(root: OutElement): string {
  const lines: string[] = [];
  const render = (node: OutElement, depth: number) => {
    const indent = '  '.repeat(depth);
    const attributes = node.attributes
      .filter((pair): pair is [string, string] => pair[1] !== undefined)
      .map(([name, value]) => ` ${name}="${escapeAttribute(value)}"`)
      .join('');
    if (node.children.length === 0 && node.text === undefined) {
      lines.push(`${indent}<${node.tag}${attributes}/>`);
    } else if (node.children.length === 0) {
      lines.push(`${indent}<${node.tag}${attributes}>${escapeText(node.text ?? '')}</${node.tag}>`);
    } else {
      lines.push(`${indent}<${node.tag}${attributes}>`);
      for (const childNode of node.children) render(childNode, depth + 1);
      lines.push(`${indent}</${node.tag}>`);
    }
  };
  render(root, 0);
  return lines.join('\n') + '\n';
}
