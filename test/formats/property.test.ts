import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import { generateCase } from '../../src/differential/generate.js';
import { readCib, writeCib } from '../../src/formats/cib/index.js';
import { readCrm, writeCrm } from '../../src/formats/crm/index.js';
import { InputError } from '../../src/model/errors.js';

const seedText = readFileSync(new URL('../../../examples/seed/openstack.crm', import.meta.url), 'utf8');
const cibText = readFileSync(new URL('../../../test/fixtures/pacemaker-2.1.5-saved.xml', import.meta.url), 'utf8');

function onlyInputErrors(read: () => unknown): boolean {
  try {
    read();
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    assert.ok(error.position === undefined || (error.position.line >= 1 && error.position.column >= 1));
  }
  return true;
}

const crmWords = ['primitive', 'group', 'clone', 'ms', 'location', 'colocation', 'order', 'property', 'node', 'params', 'meta', 'op', 'rule', 'inf:', '-inf:', '100:', 'a', 'b', 'ocf:heartbeat:Dummy', 'x=1', 'y="q r"', '"', "'", '\\', '#', '\n', ' ', '(', ')', '[', ']', ':', '=', 'and', 'or', 'defined', 'eq', '#uname'];
const xmlWords = ['<cib>', '</cib>', '<configuration>', '</configuration>', '<resources>', '</resources>', '<primitive id="a" class="ocf" provider="p" type="D"/>', '<group id="g">', '</group>', '<op ', 'interval="x"', '<', '>', '/>', '"', '&amp;', '&bad;', '<!--', '-->', '<status>', '</status>', '<node_state id="1"/>', ' ', '\n'];
const soup = (words: string[]) => fc.array(fc.constantFrom(...words), { maxLength: 60 }).map((parts) => parts.join(' '));

/** A real input with a random slice replaced: mostly almost-valid text. */
const mutated = (text: string) =>
  fc.tuple(fc.nat({ max: text.length }), fc.nat({ max: 40 }), fc.string({ maxLength: 20 })).map(([at, length, insert]) => text.slice(0, at) + insert + text.slice(at + length));

test('the crm reader throws nothing but InputError, whatever the input', () => {
  fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 300 }), soup(crmWords), mutated(seedText)), (text) => onlyInputErrors(() => readCrm(text, 'fuzz.crm'))), { numRuns: 600 });
});

test('the CIB reader throws nothing but InputError, whatever the input', () => {
  fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 300 }), soup(xmlWords), mutated(cibText)), (text) => onlyInputErrors(() => readCib(text, 'fuzz.xml'))), { numRuns: 600 });
});

test('generated clusters round-trip through CIB XML unchanged', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 1_000_000 }), (seed) => {
      const { cib } = generateCase(seed);
      assert.deepEqual(readCib(writeCib(cib), 'generated.xml'), cib);
    }),
    { numRuns: 200 },
  );
});

test('generated configurations round-trip through crm syntax', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 1_000_000 }), (seed) => {
      const { configuration } = generateCase(seed).cib;
      const printed = readCrm(writeCrm(configuration), 'generated.crm').configuration;
      // crm syntax has no place for expression or resource-set ids; everything else must survive.
      const withoutExpressionIds = structuredClone(configuration);
      for (const constraint of withoutExpressionIds.constraints) {
        if (constraint.type === 'ticket') for (const set of constraint.sets ?? []) delete set.id;
        if (constraint.type !== 'location') continue;
        for (const rule of constraint.rules) for (const part of rule.expressions) if ('kind' in part && part.kind === 'expression') delete part.id;
      }
      assert.deepEqual(printed, withoutExpressionIds);
    }),
    { numRuns: 200 },
  );
});
