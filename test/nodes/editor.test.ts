// The nodes' editor scripts (the .html files' registerType calls), run against a stand-in for the
// editor's RED object: the engine node's form refuses thresholds and limits the engine would refuse,
// and the example flows' nodes have every property the editor gives them.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { THRESHOLD_NAMES } from '../../nodes/lib/engine-config';

interface Definition { defaults: Record<string, { validate?: (value: unknown) => boolean }>; oneditprepare?: (this: Record<string, unknown>) => void }

/** A stand-in for the editor's jQuery: each selector's form element, with the value and checked state set on it. */
function formElements(): { $: (selector: string) => unknown; values: Map<string, unknown> } {
  const values = new Map<string, unknown>();
  const $ = (selector: string) => ({
    val: (value: unknown) => values.set(selector, value),
    prop: (_name: string, value: unknown) => values.set(selector, value),
  });
  return { $, values };
}

/** Runs a node's editor script and returns what it registered. */
function registered(file: string, $: unknown = () => undefined): Record<string, Definition> {
  const html = readFileSync(path.resolve(__dirname, '..', '..', '..', 'nodes', file), 'utf8');
  const open = '<script type="text/javascript">';
  const start = html.indexOf(open) + open.length;
  const script = html.slice(start, html.indexOf('</script>', start));
  const types: Record<string, Definition> = {};
  const RED = {
    nodes: { registerType: (name: string, definition: Definition) => { types[name] = definition; } },
    validators: {
      number: () => (v: unknown) => v === '' || !Number.isNaN(Number(v)),
      typedInput: () => () => true,
    },
    notify: () => undefined,
  };
  new Function('RED', '$', script)(RED, $);
  return types;
}

describe('Node-RED editor forms', () => {
  const engine = registered('facelive-engine.html')['facelive-engine']!;
  const valid = (field: string, value: string): boolean => engine.defaults[field]!.validate!(value);

  it('the engine node takes blank (the pack\'s value) or a threshold the engine accepts', () => {
    for (const key of ['liveness', 'blur', 'dark', 'grayscale', 'exposure', 'backlight', 'sunglasses', 'mask', 'veil', 'hat', 'eyeglasses']) {
      assert.ok(valid(`threshold_${key}`, ''), `${key}: blank`);
      assert.ok(valid(`threshold_${key}`, '0.5') && valid(`threshold_${key}`, '0') && valid(`threshold_${key}`, '1'), `${key}: in [0,1]`);
      assert.ok(!valid(`threshold_${key}`, '2') && !valid(`threshold_${key}`, '-0.1') && !valid(`threshold_${key}`, 'high'), `${key}: outside [0,1]`);
    }
    for (const key of ['face_size', 'framing']) {
      assert.ok(valid(`threshold_${key}`, '80') && valid(`threshold_${key}`, '1.5') && valid(`threshold_${key}`, ''), `${key}: its own unit`);
      assert.ok(!valid(`threshold_${key}`, '-1') && !valid(`threshold_${key}`, 'x'), `${key}: negative or not a number`);
    }
  });

  it('the engine node\'s limits are positive numbers or blank', () => {
    for (const field of ['maxImageMiB', 'maxMegapixels', 'urlTimeout']) {
      assert.ok(valid(field, '') && valid(field, '5') && valid(field, '0.5'), field);
      assert.ok(!valid(field, '0') && !valid(field, '-5') && !valid(field, 'many'), field);
    }
  });

  it('the engine node\'s worker threads are blank (the engine\'s default), "true" or "false" (or true or false, in a hand-written flow)', () => {
    for (const value of ['', 'true', 'false', true, false]) assert.ok(valid('workerThreads', value as string), JSON.stringify(value));
    for (const value of ['on', 'yes', '1']) assert.ok(!valid('workerThreads', value), value);
  });

  it('the engine node\'s form shows a hand-written true or false for worker threads as on or off', () => {
    for (const [held, shown] of [[true, 'true'], [false, 'false']] as const) {
      const form = formElements();
      registered('facelive-engine.html', form.$)['facelive-engine']!.oneditprepare!.call({ workerThreads: held, validateAttributes: 'sunglasses,mask' });
      assert.equal(form.values.get('#node-config-input-workerThreads'), shown);
      assert.equal(form.values.get('#node-config-facelive-attr-mask'), true);
    }
  });

  it('the engine node\'s form has a field for every threshold the node reads', () => {
    const fields = Object.keys(engine.defaults).filter((field) => field.startsWith('threshold_')).map((field) => field.slice('threshold_'.length));
    assert.deepEqual(fields, [...THRESHOLD_NAMES]);
  });

  it('every facelive node of the example flows has the properties the editor gives it (opening its dialog changes nothing)', () => {
    const examples = path.resolve(__dirname, '..', '..', '..', 'examples');
    /** What the runtime keeps beside the editor's defaults: identity, place and wiring. */
    const placement = new Set(['id', 'type', 'z', 'g', 'x', 'y', 'wires']);
    for (const file of readdirSync(examples).filter((name) => name.endsWith('.json'))) {
      const flow = JSON.parse(readFileSync(path.join(examples, file), 'utf8')) as Record<string, unknown>[];
      for (const node of flow.filter((n) => String(n.type).startsWith('facelive-'))) {
        const defaults = registered(`${String(node.type)}.html`)[String(node.type)]!.defaults;
        const keys = Object.keys(node).filter((key) => !placement.has(key)).sort();
        assert.deepEqual(keys, Object.keys(defaults).sort(), `${file}: ${String(node.type)} ${String(node.id)}`);
      }
    }
  });

  it('every node\'s editor script registers its node type', () => {
    for (const name of ['facelive-detect', 'facelive-engine', 'facelive-validate-attribute', 'facelive-validate-quality']) {
      assert.ok(registered(`${name}.html`)[name], name);
    }
  });
});
