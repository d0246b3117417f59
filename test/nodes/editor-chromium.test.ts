// The nodes in the real Node-RED editor (Chromium, playwright-core; see helpers/chromium.ts for which
// one), served by `npm run flow`'s Node-RED with a test flow deployed through its admin API: the
// editor marks a detect node whose Fail on box lacks its Compute box, opens the nodes of a flow
// written by hand as the runtime reads them, and the status badges a deploy leaves are the nodes'
// own, not those of the instances it replaced.

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { pendingUnlessAvailable } from '../helpers/binaries';
import { launchChromium } from '../helpers/chromium';

const FLOW_JS = path.resolve(__dirname, '..', '..', 'bin', 'flow.js');

const detect = (id: string, y: number, props: Record<string, unknown>) => ({
  id, z: 'tab', type: 'facelive-detect', name: '', engine: 'cfg', property: 'payload', result: 'liveness', x: 200, y, wires: [[], []],
  is_quality: true, is_attribute: true, is_liveness: true, validate_quality: false, validate_attribute: false, validate_liveness: false, validate_nface: false,
  ...props,
});

/** The test flow; `engine` is what node `late` points at (first none, then the good engine node). */
function testFlow(engine: string): object[] {
  return [
    { id: 'tab', type: 'tab', label: 'editor test' },
    { id: 'cfg', type: 'facelive-engine', name: 'good' },
    { id: 'bad', type: 'facelive-engine', name: 'refused', threshold_liveness: '2' },
    detect('ok', 40, { validate_quality: true, validate_attribute: true, validate_liveness: true }),
    detect('noQuality', 80, { validate_quality: true, is_quality: false }),
    detect('noAttributes', 120, { validate_attribute: true, is_attribute: false }),
    detect('noLiveness', 160, { validate_liveness: true, is_liveness: false }),
    detect('late', 200, { engine }),
    detect('refused', 240, { engine: 'bad' }),
    // Written by hand: every field left to the node's default.
    { id: 'handEngine', type: 'facelive-engine', name: 'by hand' },
    { id: 'handDetect', z: 'tab', type: 'facelive-detect', engine: 'handEngine', x: 500, y: 40, wires: [[], []] },
    { id: 'handQuality', z: 'tab', type: 'facelive-validate-quality', engine: 'handEngine', x: 500, y: 80, wires: [[], []] },
    { id: 'handAttribute', z: 'tab', type: 'facelive-validate-attribute', engine: 'handEngine', x: 500, y: 120, wires: [[], []] },
  ];
}

describe('Node-RED editor (chromium)', function () {
  this.timeout(120_000);
  let child: ChildProcess | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let base: string;
  const pageErrors: string[] = [];

  async function deploy(flow: object[], type: 'full' | 'nodes'): Promise<void> {
    const answer = await fetch(`${base}/flows`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Node-RED-Deployment-Type': type },
      body: JSON.stringify(flow),
    });
    assert.equal(answer.status, 204, await answer.text());
  }

  before(async function () {
    const launched = await launchChromium();
    if (!('browser' in launched)) pendingUnlessAvailable(this, 'the Node-RED editor tests', launched);
    browser = launched.browser;
    child = spawn(process.execPath, [FLOW_JS], { env: { ...process.env, PORT: '0', LOG_LEVEL: 'warn' }, stdio: 'pipe' });
    base = await new Promise<string>((resolve, reject) => {
      let output = '';
      const timer = setTimeout(() => reject(new Error(`no editor URL within 90 s:\n${output}`)), 90_000);
      const onData = (chunk: Buffer): void => {
        output += chunk.toString();
        const url = /Node-RED editor: (http:\/\/\S+)\//.exec(output)?.[1];
        if (url) {
          clearTimeout(timer);
          resolve(url);
        }
      };
      child?.stdout?.on('data', onData);
      child?.stderr?.on('data', onData);
      child?.once('exit', (code) => reject(new Error(`flow.js exited (${code}) early:\n${output}`)));
    });
    // First without an engine for `late`, then a "modified nodes" deploy that gives it one.
    await deploy(testFlow(''), 'full');
    await deploy(testFlow('cfg'), 'nodes');
    page = await browser.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (message) => {
      // The palette manager's catalogue is on the internet: its failure is not the editor's.
      if (message.type() === 'error' && message.location().url.startsWith(base)) pageErrors.push(message.text());
    });
    page.on('response', (response) => {
      if (response.url().startsWith(base) && response.status() >= 400) pageErrors.push(`${response.status()} ${response.url()}`);
    });
    await page.goto(`${base}/`);
    await page.waitForFunction(() => {
      const RED = (window as unknown as { RED?: { nodes?: { node?(id: string): unknown } } }).RED;
      return typeof RED?.nodes?.node === 'function' && RED.nodes.node('ok') !== null && RED.nodes.node('ok') !== undefined;
    }, null, { timeout: 60_000 });
  });

  after(async () => {
    await browser?.close();
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child?.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  });

  /** What the editor holds of a node: whether it is valid, why not, and its status badge. */
  function editorNode(id: string): Promise<{ valid: boolean; errors: string[]; status: Record<string, unknown> }> {
    return page.evaluate((nodeId) => {
      const node = (window as unknown as { RED: { nodes: { node(id: string): Record<string, any> } } }).RED.nodes.node(nodeId);
      return { valid: node.valid as boolean, errors: (node.validationErrors ?? []) as string[], status: (node.status ?? {}) as Record<string, unknown> };
    }, id);
  }

  it('marks a detect node invalid whose Fail on box has its Compute box unticked, saying which', async () => {
    assert.deepEqual(await editorNode('ok').then((n) => [n.valid, n.errors]), [true, []]);
    assert.deepEqual((await editorNode('noQuality')).errors, ['Fail on quality needs Compute quality']);
    assert.deepEqual((await editorNode('noAttributes')).errors, ['Fail on attributes needs Compute attributes']);
    assert.deepEqual((await editorNode('noLiveness')).errors, ['Fail on spoof needs Compute liveness']);
    for (const id of ['noQuality', 'noAttributes', 'noLiveness']) assert.equal((await editorNode(id)).valid, false, id);
  });

  it('opens the nodes of a flow written by hand as the runtime reads them: valid, and saving each form unchanged keeps what the node does', async () => {
    for (const id of ['handEngine', 'handDetect', 'handQuality', 'handAttribute']) assert.deepEqual(await editorNode(id).then((n) => [n.valid, n.errors]), [true, []], id);
    for (const id of ['handEngine', 'handDetect', 'handQuality', 'handAttribute']) {
      const ok = id === 'handEngine' ? '#node-config-dialog-ok' : '#node-dialog-ok';
      await page.evaluate((nodeId) => {
        const RED = (window as unknown as { RED: { nodes: { node(id: string): object }; editor: { edit(node: object): void; editConfig(name: string, type: string, id: string): void } } }).RED;
        if (nodeId === 'handEngine') RED.editor.editConfig('', 'facelive-engine', nodeId);
        else RED.editor.edit(RED.nodes.node(nodeId));
      }, id);
      await page.locator(ok).click();
      await page.locator(ok).waitFor({ state: 'detached' });
      // Every field now holds what the runtime used while it was absent: the default the form offers.
      const [saved, offered] = await page.evaluate((nodeId) => {
        const node = (window as unknown as { RED: { nodes: { node(id: string): Record<string, any> } } }).RED.nodes.node(nodeId);
        const defaults = node._def.defaults as Record<string, { value: unknown }>;
        const fields = Object.keys(defaults).filter((field) => field !== 'name' && field !== 'engine');
        return [Object.fromEntries(fields.map((field) => [field, node[field]])), Object.fromEntries(fields.map((field) => [field, defaults[field]!.value]))];
      }, id);
      assert.deepEqual(saved, offered, id);
    }
  });

  it('shows the badge each node set as the last deploy started it, not its previous instance\'s', async () => {
    // The badges come over the editor's websocket, all at once, once it has connected.
    await page.waitForFunction(() => ['refused', 'late'].some((id) => (window as unknown as { RED: { nodes: { node(id: string): { status?: { text?: string } } } } })
      .RED.nodes.node(id).status?.text !== undefined), null, { timeout: 20_000 });
    // `late` showed "no engine" before the deploy that gave it one.
    assert.equal((await editorNode('late')).status.text, undefined);
    assert.deepEqual((await editorNode('refused')).status, { fill: 'red', shape: 'ring', text: 'engine settings' });
  });

  it('logs no error in the page', () => {
    assert.deepEqual(pageErrors, []);
  });
});
