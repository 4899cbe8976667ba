// A plain element tree over fast-xml-parser in which every element knows where its start
// tag is, so a reader can say exactly where a well-formed but wrong element is.

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
  // Attribute values are kept exactly (a description may start with a space); text is trimmed below.
  trimValues: false,
  processEntities: true,
  // Also decodes character references (&#10;), which the writer uses for line breaks.
  htmlEntities: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
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

/**
 * Offsets of every start tag in document order. Markup that can hold a "<name" without
 * being an element (comments, CDATA, processing instructions, a DOCTYPE with its internal
 * subset) is blanked first, keeping offsets, so the n-th offset is the n-th element.
 */
function startTagOffsets(text: string): number[] {
  const blanked = text.replace(/<!--[\s\S]*?-->|<!\[CDATA\[[\s\S]*?\]\]>|<\?[\s\S]*?\?>|<!DOCTYPE[^[>]*(?:\[[\s\S]*?\])?\s*>/g, (match) => match.replace(/[^\n]/g, ' '));
  const offsets: number[] = [];
  const pattern = /<([A-Za-z_][\w.:-]*)/g;
  for (let match = pattern.exec(blanked); match !== null; match = pattern.exec(blanked)) offsets.push(match.index);
  return offsets;
}

function parseOrdered(text: string, file: string): OrderedNode[] {
  const validation = XMLValidator.validate(text, { allowBooleanAttributes: false });
  if (validation !== true) {
    const { line, col, msg } = validation.err;
    throw new InputError(`malformed XML: ${msg}`, { file, line: line || 1, column: col || 1 });
  }
  try {
    return parser.parse(text) as OrderedNode[];
  } catch (error) {
    // The validator lets through a few things the parser refuses (entity trouble, mostly).
    const message = error instanceof Error ? error.message : String(error);
    const line = /line[: ]+(\d+)/i.exec(message)?.[1];
    throw new InputError(`malformed XML: ${message}`, { file, line: line ? Number(line) : 1, column: 1 });
  }
}

/** Parses the document; throws InputError with the position of malformed XML. */
export function parseXml(text: string, file: string): XmlElement {
  const ordered = parseOrdered(text, file);
  const offsets = startTagOffsets(text);
  const starts = lineStarts(text);
  let next = 0;
  const build = (node: OrderedNode): XmlElement | undefined => {
    const tag = Object.keys(node).find((key) => key !== ':@');
    if (tag === undefined || tag === '#text') return undefined;
    const offset = offsets[next] ?? 0;
    next += 1;
    const childNodes: XmlElement[] = [];
    let textContent: string | undefined;
    for (const childNode of (node[tag] as OrderedNode[] | undefined) ?? []) {
      if ('#text' in childNode) {
        textContent = (textContent ?? '') + String(childNode['#text']);
        continue;
      }
      const built = build(childNode);
      if (built) childNodes.push(built);
    }
    // No prototype: an attribute lookup such as attributes.constructor finds only attributes.
    const attributes: Record<string, string> = Object.create(null);
    for (const [name, value] of Object.entries(node[':@'] ?? {})) attributes[name] = String(value);
    const text = textContent?.trim() || undefined;
    return { tag, attributes, children: childNodes, text, position: { file, ...lineColumn(starts, offset) } };
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

/** Sets a key as an own property even when it is "__proto__", which `=` would not. */
export function setOwn(record: Record<string, string>, name: string, value: string): void {
  Object.defineProperty(record, name, { value, enumerable: true, writable: true, configurable: true });
}

/** Attributes other than the named ones, kept so a round trip drops nothing. */
export function otherAttributes(element: XmlElement, known: readonly string[]): Record<string, string> {
  const rest: Record<string, string> = {};
  for (const [name, value] of Object.entries(element.attributes)) if (!known.includes(name)) setOwn(rest, name, value);
  return rest;
}
