// Prints an element tree as indented XML, the way cibadmin prints a CIB.

/** An element to write: attributes in the given order, undefined values left out. */
export interface OutElement {
  tag: string;
  attributes: Array<[string, string | undefined]>;
  children: OutElement[];
  text?: string;
}

export function element(tag: string, attributes: Array<[string, string | undefined]>, children: OutElement[] = [], text?: string): OutElement {
  const out: OutElement = { tag, attributes, children };
  if (text !== undefined) out.text = text;
  return out;
}

function escapeAttribute(value: string): string {
  // Tabs and line breaks as character references, or the reader would see them as spaces.
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
}

function escapeText(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function renderXml(root: OutElement): string {
  const lines: string[] = [];
  const render = (node: OutElement, depth: number) => {
    const indent = '  '.repeat(depth);
    const attributes = node.attributes
      .filter((pair): pair is [string, string] => pair[1] !== undefined)
      .map(([name, value]) => ` ${name}="${escapeAttribute(value)}"`)
      .join('');
    const text = node.text === undefined || node.text === '' ? '' : escapeText(node.text);
    if (node.children.length === 0 && text === '') {
      lines.push(`${indent}<${node.tag}${attributes}/>`);
    } else if (node.children.length === 0) {
      lines.push(`${indent}<${node.tag}${attributes}>${text}</${node.tag}>`);
    } else {
      lines.push(`${indent}<${node.tag}${attributes}>${text}`);
      for (const childNode of node.children) render(childNode, depth + 1);
      lines.push(`${indent}</${node.tag}>`);
    }
  };
  render(root, 0);
  return lines.join('\n') + '\n';
}
