// The facelive-engine config node: form parsing, one shared Engine, disposal on close/redeploy.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { selfieJpeg } from '../helpers/faces';
import { workerThreadsStartedBy } from '../helpers/worker-threads';
import { DEFAULT_PACK_DIR, type Engine } from '../../core';
import { usableCpuCount } from '../../core/cpu-count';
import { engineOptionsFromConfig } from '../../nodes/lib/engine-config';
import { attributeNode, detectNode, engineNode, faceliveNodes, helper, nextMessage, nodeFlow, qualityNode, run } from './support';

const def = (fields: Record<string, unknown>) => ({ id: 'x', type: 'facelive-engine', ...fields });

describe('facelive-engine config node', function () {
  this.timeout(60_000);

  describe('form -> engine options', () => {
    it('leaves every blank field to the engine defaults', () => {
      assert.deepEqual(engineOptionsFromConfig(def({ pack: '', threshold_blur: '', maxImageMiB: '', workerThreads: '' })), {});
    });

    it('reads the pack, thresholds, attribute list and limits', () => {
      assert.deepEqual(engineOptionsFromConfig(def({
        pack: ' /opt/packs/strong ', threshold_liveness: '0.7', threshold_face_size: '40', threshold_eyeglasses: '0.4', validateAttributes: 'sunglasses, hat',
        maxImageMiB: '2', maxMegapixels: '12', urlTimeout: '5', allowPrivateNetwork: true,
      })), {
        pack: '/opt/packs/strong',
        thresholds: { liveness: 0.7, face_size: 40, eyeglasses: 0.4 },
        limits: { maxImageBytes: 2 * 1024 * 1024, maxPixels: 12_000_000, urlTimeoutMs: 5000, allowPrivateNetwork: true },
        validateAttributes: ['sunglasses', 'hat'],
      });
    });

    it('refuses URL images only when the box is unticked; a flow saved before the field accepts them', () => {
      assert.deepEqual(engineOptionsFromConfig(def({ allowUrlImages: false })), { limits: { allowUrlImages: false } });
      assert.deepEqual(engineOptionsFromConfig(def({ allowUrlImages: true })), {});
      assert.deepEqual(engineOptionsFromConfig(def({})), {});
    });

    it('reads worker threads as on, off, or (blank, or absent from a flow saved before the field) the engine\'s default', () => {
      assert.deepEqual(engineOptionsFromConfig(def({ workerThreads: 'false' })), { workerThreads: false });
      assert.deepEqual(engineOptionsFromConfig(def({ workerThreads: 'true' })), { workerThreads: true });
      // A flows file written by hand may hold a boolean.
      assert.deepEqual(engineOptionsFromConfig(def({ workerThreads: false as never })), { workerThreads: false });
      assert.deepEqual(engineOptionsFromConfig(def({})), {});
      assert.throws(() => engineOptionsFromConfig(def({ workerThreads: 'off' })), /"true", "false" or nothing for worker threads but received the string "off"\./);
    });

    it('names the field of a bad value', () => {
      assert.throws(() => engineOptionsFromConfig(def({ threshold_dark: 'dim' })), /dark threshold but received the string "dim"\./);
      // A flows file written by hand may hold a number: it is described as one.
      assert.throws(() => engineOptionsFromConfig(def({ maxImageMiB: -1 as never })), /largest image \(MiB\) but received -1\./);
      assert.throws(() => engineOptionsFromConfig(def({ validateAttributes: 'sunglasses,beard' })), /Unknown attribute "beard"/);
    });
  });

  describe('in a running flow', () => {
    afterEach(() => helper.unload());

    const sharedFlow = [
      { id: 'tab', type: 'tab', label: 'shared' },
      { id: 'cfg', type: 'facelive-engine', name: 'shared' },
      { id: 'd1', z: 'tab', type: 'facelive-detect', engine: 'cfg', wires: [['out'], ['out']] },
      { id: 'd2', z: 'tab', type: 'facelive-detect', engine: 'cfg', wires: [['out'], ['out']] },
      { id: 'q', z: 'tab', type: 'facelive-validate-quality', engine: 'cfg', wires: [['out'], ['out']] },
      { id: 'a', z: 'tab', type: 'facelive-validate-attribute', engine: 'cfg', wires: [['out'], ['out']] },
      { id: 'out', z: 'tab', type: 'helper' },
    ];

    it('refuses at deploy what the engine would refuse when it starts, naming the reason', async () => {
      // In range for the form (any number above 0), out of range for a timer: before, this deployed
      // and every message failed with only "An unexpected error occurred".
      await helper.load(faceliveNodes, [{ id: 'cfg', type: 'facelive-engine', name: 'slow', urlTimeout: '10000000' }]);
      const logged = ((helper as unknown as { log(): unknown }).log() as { args: { level: number; id: string; msg: unknown }[][] }).args
        .map(([entry]) => entry)
        .filter((entry) => entry.id === 'cfg' && entry.level === 20);
      assert.ok(logged.some((entry) => /Invalid facelive engine settings: .*urlTimeoutMs/.test(String(entry.msg))), JSON.stringify(logged));
      await assert.rejects(helper.getNode('cfg').getEngine(), /urlTimeoutMs/);
    });

    it('gives one Engine to every node that points at it, created once', async () => {
      await helper.load(faceliveNodes, sharedFlow);
      const cfg = helper.getNode('cfg');
      const asked: Promise<Engine>[] = [];
      const original = cfg.getEngine;
      cfg.getEngine = () => {
        const engine = original();
        asked.push(engine);
        return engine;
      };
      const image = await selfieJpeg();
      for (const id of ['d1', 'd2', 'q', 'a']) {
        const waiting = nextMessage('out');
        helper.getNode(id).receive({ payload: image });
        await waiting;
      }
      assert.ok(asked.length >= 4, 'each node asked the config node');
      assert.equal(new Set(asked).size, 1, 'and got the same promise');
    });

    it('starts the engine as the flow is deployed: a pack that cannot load is reported then, before any message', async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'facelive-no-pack-'));
      try {
        await helper.load(faceliveNodes, nodeFlow('facelive-detect', {}, { pack: path.join(dir, 'pack') }));
        const errors = (): string[] => ((helper as unknown as { log(): unknown }).log() as { args: { level: number; msg: unknown }[][] }).args
          .map(([entry]) => entry)
          .filter((entry) => entry.level === 20)
          .map((entry) => String(entry.msg));
        for (let waited = 0; waited < 10_000 && !errors().some((msg) => /could not start/.test(msg)); waited += 50) {
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        assert.ok(errors().some((msg) => /^The facelive engine could not start: .*pack/.test(msg)), JSON.stringify(errors()));
      } finally {
        await helper.unload();
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('does not start at deploy an engine node that no node points at, and starts it at its first use', async () => {
      // Two engine nodes whose packs cannot load: the one a detect node points at reports it at
      // deploy; the one left without nodes (its detect node deleted) loads nothing, so reports nothing.
      const dir = mkdtempSync(path.join(os.tmpdir(), 'facelive-unused-'));
      try {
        await helper.load(faceliveNodes, [
          { id: 'tab', type: 'tab', label: 'two engines' },
          { id: 'e1', type: 'facelive-engine', name: 'in use', pack: path.join(dir, 'pack-1') },
          { id: 'e2', type: 'facelive-engine', name: 'left behind', pack: path.join(dir, 'pack-2') },
          { id: 'd', z: 'tab', type: 'facelive-detect', engine: 'e1', wires: [[], []] },
        ]);
        const failedToStart = (id: string): boolean => ((helper as unknown as { log(): unknown }).log() as { args: { level: number; id: string; msg: unknown }[][] }).args
          .some(([entry]) => entry.level === 20 && entry.id === id && /could not start/.test(String(entry.msg)));
        for (let waited = 0; waited < 10_000 && !failedToStart('e1'); waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
        assert.ok(failedToStart('e1'), 'the engine node in use starts at deploy');
        await new Promise((resolve) => setTimeout(resolve, 500));
        assert.equal(failedToStart('e2'), false, 'the engine node no node uses was not started');
        await assert.rejects(helper.getNode('e2').getEngine(), /pack/);
        assert.ok(failedToStart('e2'), 'asked for its engine, it starts it');
      } finally {
        await helper.unload();
        rmSync(dir, { recursive: true, force: true });
      }
    });

    describe('started at deploy by the nodes that run, however they reach it', () => {
      // Engine nodes whose packs cannot load: one that starts reports it as its error at once.
      let dir: string;
      beforeEach(() => {
        dir = mkdtempSync(path.join(os.tmpdir(), 'facelive-users-'));
      });
      afterEach(() => rmSync(dir, { recursive: true, force: true }));
      const failedToStart = (id: string): boolean => ((helper as unknown as { log(): unknown }).log() as { args: { level: number; id: string; msg: unknown }[][] }).args
        .some(([entry]) => entry.level === 20 && entry.id === id && /could not start/.test(String(entry.msg)));
      async function startsSoon(id: string): Promise<boolean> {
        for (let waited = 0; waited < 10_000 && !failedToStart(id); waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
        return failedToStart(id);
      }
      const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 500));

      it('starts it when a "modified nodes" deploy adds its first node without touching the engine node', async () => {
        const engine = { id: 'e', type: 'facelive-engine', name: 'unused at first', pack: path.join(dir, 'pack') };
        const tab = { id: 'tab', type: 'tab', label: 'grows' };
        await helper.load(faceliveNodes, [tab, engine, { id: 'other', z: 'tab', type: 'helper' }]);
        await settle();
        assert.equal(failedToStart('e'), false, 'no node uses it yet');
        const setFlows = (helper as unknown as { setFlows(flows: unknown[], type: string): Promise<void> }).setFlows.bind(helper);
        await setFlows([tab, engine, { id: 'other', z: 'tab', type: 'helper' }, { id: 'd', z: 'tab', type: 'facelive-detect', engine: 'e', wires: [[], []] }], 'nodes');
        assert.ok(await startsSoon('e'), 'the deploy that adds its first node starts it');
      });

      it('leaves it unstarted when its only node is disabled', async () => {
        await helper.load(faceliveNodes, [
          { id: 'tab', type: 'tab', label: 'disabled user' },
          { id: 'e', type: 'facelive-engine', pack: path.join(dir, 'pack') },
          { id: 'd', z: 'tab', type: 'facelive-detect', engine: 'e', d: true, x: 100, y: 40, wires: [[], []] },
        ]);
        await settle();
        assert.equal(failedToStart('e'), false);
      });

      it('starts it for a node inside a subflow instance, and for a node that names it through an environment variable', async () => {
        await helper.load(faceliveNodes, [
          { id: 'tab', type: 'tab', label: 'indirect', env: [{ name: 'ENGINE', type: 'str', value: 'e2' }] },
          { id: 'e1', type: 'facelive-engine', pack: path.join(dir, 'pack-1') },
          { id: 'e2', type: 'facelive-engine', pack: path.join(dir, 'pack-2') },
          { id: 'sf', type: 'subflow', name: 'check', in: [], out: [], env: [] },
          // (Node-RED takes a node without x and y for a config node, and a subflow instance for none.)
          { id: 'inner', z: 'sf', type: 'facelive-detect', engine: 'e1', x: 100, y: 40, wires: [[], []] },
          { id: 'instance', z: 'tab', type: 'subflow:sf', x: 100, y: 40, wires: [] },
          { id: 'byEnv', z: 'tab', type: 'facelive-detect', engine: '${ENGINE}', wires: [[], []] },
        ]);
        assert.ok(await startsSoon('e1'), 'the subflow\'s node');
        assert.ok(await startsSoon('e2'), 'the node naming it through ${ENGINE}');
      });
    });

    it('starts the Engine at deploy and disposes of it when the flows stop', async () => {
      await helper.load(faceliveNodes, sharedFlow);
      const cfg = helper.getNode('cfg');
      const engine = await cfg.getEngine();
      const image = await selfieJpeg();
      assert.equal((await engine.check(image)).error_code, null);
      await helper.unload();
      await assert.rejects(engine.check(image), 'a disposed engine refuses checks');
      await assert.rejects(cfg.getEngine(), /closed/);
    });

    it('replaces the Engine on redeploy and disposes of the old one', async () => {
      await helper.load(faceliveNodes, sharedFlow);
      const before: Engine = await helper.getNode('cfg').getEngine();
      await helper.setFlows([...sharedFlow.filter((n) => n.id !== 'cfg'), { id: 'cfg', type: 'facelive-engine', name: 'changed' }]);
      const after: Engine = await helper.getNode('cfg').getEngine();
      assert.notEqual(after, before);
      const image = await selfieJpeg();
      await assert.rejects(before.check(image));
      assert.equal((await after.check(image)).data.nface, 1);
    });

    it('lets a running check finish when the flow is redeployed, then disposes of the old Engine', async () => {
      const failures: unknown[] = [];
      const record = (err: unknown): void => { failures.push(err); };
      process.on('unhandledRejection', record);
      try {
        await helper.load(faceliveNodes, sharedFlow);
        const cfg = helper.getNode('cfg');
        const engine: Engine = await cfg.getEngine();
        let started!: () => void;
        const inFlight = new Promise<void>((resolve) => { started = resolve; });
        const original = cfg.getEngine;
        // The same engine, telling the test the moment the node's check has begun.
        cfg.getEngine = () => original().then((e: Engine): Engine => ({
          pack: e.pack, limits: e.limits, checkRequest: e.checkRequest.bind(e), loadRequest: e.loadRequest?.bind(e), dispose: e.dispose.bind(e), failure: e.failure.bind(e),
          check: (image, options, context) => {
            const running = e.check(image, options, context);
            started();
            return running;
          },
        }));
        const d1 = helper.getNode('d1');
        const outcome = new Promise<string>((resolve) => {
          d1.on('call:send', () => resolve('sent'));
          d1.on('call:error', (call: { args: unknown[] }) => resolve(`error: ${String((call.args[0] as Error)?.message ?? call.args[0])}`));
        });
        d1.receive({ payload: await selfieJpeg() });
        await inFlight;
        await helper.setFlows([...sharedFlow.filter((n) => n.id !== 'cfg'), { id: 'cfg', type: 'facelive-engine', name: 'redeployed' }]);
        assert.equal(await outcome, 'sent', 'the check that was running when the flow was redeployed completed');
        await assert.rejects(engine.check(await selfieJpeg()), 'the old engine was disposed of after it');
        await new Promise((resolve) => setTimeout(resolve, 100));
      } finally {
        process.off('unhandledRejection', record);
      }
      assert.deepEqual(failures, [], 'no unhandled rejection');
    });

    it('on a "modified nodes" deploy of the engine node, answers every message it had admitted, then disposes of the old Engine', async () => {
      await helper.load(faceliveNodes, sharedFlow);
      const cfg = helper.getNode('cfg');
      const engine: Engine = await cfg.getEngine();
      // More messages than check places, so that some still wait for a place when the node closes.
      const count = usableCpuCount() * 4 + 2;
      let entered = 0;
      const allAdmitted = new Promise<void>((resolve) => {
        const original = cfg.withEngine;
        cfg.withEngine = (work: unknown) => {
          entered += 1;
          if (entered === count) resolve();
          return original(work);
        };
      });
      const d1 = helper.getNode('d1');
      const outcomes: string[] = [];
      const all = new Promise<void>((resolve) => {
        const record = (outcome: string): void => { outcomes.push(outcome); if (outcomes.length === count) resolve(); };
        d1.on('call:send', () => record('sent'));
        d1.on('call:error', (call: { args: unknown[] }) => record(`error: ${String((call.args[0] as Error)?.message ?? call.args[0])}`));
      });
      const image = await selfieJpeg('frontal', 320, 240);
      for (let i = 0; i < count; i += 1) d1.receive({ payload: image });
      await allAdmitted;
      await helper.setFlows([...sharedFlow.filter((n) => n.id !== 'cfg'), { id: 'cfg', type: 'facelive-engine', name: 'changed' }], 'nodes');
      await all;
      assert.deepEqual(outcomes, Array(count).fill('sent'), 'every admitted message answered on the engine of before the deploy');
      await assert.rejects(engine.check(image), 'the old engine was disposed of once they were answered');
      // What reaches the closed node afterwards is told to send it again (503), never a bare 500.
      for (const late of [cfg.getEngine(), cfg.withEngine(async () => 'ran')]) {
        await assert.rejects(late, (err: { code?: string; message?: string }) => err.code === 'SERVICE_UNAVAILABLE' && /closed.*send it again/.test(String(err.message)));
      }
      const answered = nextMessage('out');
      helper.getNode('d1').receive({ payload: image });
      assert.equal((await answered).liveness.data.nface, 1, 'the new flow answers');
    });

    it('on a "modified nodes" deploy, also answers a message that came while the engine was starting or while its URL image was arriving', async () => {
      const held: http.ServerResponse[] = [];
      const images = http.createServer((_req, res) => held.push(res));
      await new Promise<void>((resolve) => images.listen(0, '127.0.0.1', resolve));
      const url = `http://127.0.0.1:${(images.address() as { port: number }).port}/selfie.jpg`;
      const image = await selfieJpeg('frontal', 320, 240);
      const flow = [
        { id: 'tab', type: 'tab', label: 'one' },
        { id: 'cfg', type: 'facelive-engine', name: 'first', allowPrivateNetwork: true },
        { id: 'd1', z: 'tab', type: 'facelive-detect', engine: 'cfg', wires: [['out'], ['out']] },
        { id: 'out', z: 'tab', type: 'helper' },
      ];
      const redeploy = () => helper.setFlows([...flow.filter((n) => n.id !== 'cfg'), { id: 'cfg', type: 'facelive-engine', name: 'changed', allowPrivateNetwork: true }], 'nodes');
      const outcome = (node: ReturnType<typeof helper.getNode>): Promise<string> => new Promise((resolve) => {
        node.on('call:send', () => resolve('sent'));
        node.on('call:error', (call: { args: unknown[] }) => resolve(`error: ${String((call.args[0] as Error)?.message ?? call.args[0])}`));
      });
      try {
        // The first message after a deploy starts the engine; the node is redeployed while it starts.
        await helper.load(faceliveNodes, flow);
        let answer = outcome(helper.getNode('d1'));
        helper.getNode('d1').receive({ payload: image });
        await redeploy();
        assert.equal(await answer, 'sent', 'the message that started the engine');
        await helper.unload();

        // The engine is up; the message's URL image is still arriving when the node is redeployed.
        await helper.load(faceliveNodes, flow);
        await helper.getNode('cfg').getEngine();
        answer = outcome(helper.getNode('d1'));
        helper.getNode('d1').receive({ payload: url });
        for (let i = 0; i < 200 && held.length === 0; i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
        const deployed = redeploy();
        await new Promise((resolve) => setTimeout(resolve, 100));
        for (const res of held.splice(0)) res.writeHead(200, { 'content-type': 'image/jpeg' }).end(image);
        await deployed;
        assert.equal(await answer, 'sent', 'the message whose image was arriving');
      } finally {
        for (const res of held.splice(0)) res.destroy();
        await new Promise<void>((resolve) => images.close(() => resolve()));
      }
    });

    it('runs at most one check per CPU the process may use at once through one engine node, every message answered', async () => {
      await helper.load(faceliveNodes, sharedFlow);
      const cfg = helper.getNode('cfg');
      const original = cfg.getEngine;
      let running = 0;
      let most = 0;
      cfg.getEngine = () => original().then((e: Engine): Engine => ({
        pack: e.pack, limits: e.limits, checkRequest: e.checkRequest.bind(e), loadRequest: e.loadRequest?.bind(e), dispose: e.dispose.bind(e), failure: e.failure.bind(e),
        check: async (image, options, context) => {
          running += 1;
          most = Math.max(most, running);
          try {
            return await e.check(image, options, context);
          } finally {
            running -= 1;
          }
        },
      }));
      const places = usableCpuCount();
      const count = places * 3 + 1;
      let answered = 0;
      const all = new Promise<void>((resolve) => helper.getNode('out').on('input', () => { answered += 1; if (answered === count) resolve(); }));
      const image = await selfieJpeg('frontal', 320, 240);
      for (let i = 0; i < count; i += 1) helper.getNode(i % 2 === 0 ? 'd1' : 'q').receive({ payload: image });
      await all;
      assert.equal(answered, count);
      assert.ok(most <= places, `${most} checks at once with ${places} CPUs`);
      assert.ok(most >= Math.min(2, places), 'checks still run side by side');
    });

    it('fetches a URL image before taking a check place: slow image servers hold no place a base64 image needs', async () => {
      const held: http.ServerResponse[] = [];
      const images = http.createServer((_req, res) => held.push(res));
      await new Promise<void>((resolve) => images.listen(0, '127.0.0.1', resolve));
      const url = `http://127.0.0.1:${(images.address() as { port: number }).port}/slow.jpg`;
      try {
        const flow = sharedFlow.map((n) => (n.id === 'cfg' ? { ...n, allowPrivateNetwork: true, urlTimeout: '20' } : n));
        await helper.load(faceliveNodes, flow);
        const places = usableCpuCount();
        const d1 = helper.getNode('d1');
        for (let i = 0; i < places + 1; i += 1) d1.receive({ payload: url });
        for (let i = 0; i < 200 && held.length < places + 1; i += 1) await new Promise((resolve) => setTimeout(resolve, 20));
        assert.equal(held.length, places + 1, 'every URL is being fetched');
        const answered = nextMessage('out', [], 10_000);
        const started = Date.now();
        helper.getNode('d2').receive({ payload: await selfieJpeg('frontal', 320, 240) });
        const msg = await answered;
        assert.equal(msg.liveness.data.nface, 1);
        assert.ok(Date.now() - started < 8_000, 'the base64 image did not wait for the image servers');
      } finally {
        for (const res of held) res.destroy();
        await new Promise((resolve) => images.close(resolve));
      }
    });

    it('starts the engine with the worker threads of its form: off, on, or by default as many CPUs allow', async () => {
      const threadsWith = async (workerThreads?: string): Promise<number> => {
        const { started } = await workerThreadsStartedBy(async () => {
          await helper.load(faceliveNodes, nodeFlow('facelive-detect', {}, workerThreads === undefined ? {} : { workerThreads }));
          // The engine answers the same either way.
          assert.equal((await run('pass', { payload: await selfieJpeg() })).liveness.data.nface, 1);
        });
        await helper.unload();
        return started;
      };
      assert.equal(await threadsWith('false'), 0);
      assert.equal(await threadsWith('true'), 4, 'three liveness models and the pose model');
      assert.equal(await threadsWith(undefined), usableCpuCount() > 1 ? 4 : 0, `${usableCpuCount()} CPUs here`);
    });

    it('gives the engine the eyeglasses threshold of its form', async () => {
      await helper.load(faceliveNodes, nodeFlow('facelive-detect', {}, { threshold_eyeglasses: '0.01' }));
      const msg = await run('pass', { payload: await selfieJpeg() });
      assert.equal(msg.liveness.data.attributes.eyeglasses.threshold, 0.01);
    });

    it('answers every message of a node without an engine with INTERNAL_SERVER_ERROR (none is dropped)', async () => {
      await helper.load(faceliveNodes, nodeFlow('facelive-detect', { engine: '' }));
      const caught = await run('caught', { payload: await selfieJpeg() });
      assert.equal(caught.error.code, 'INTERNAL_SERVER_ERROR');
      assert.match(caught.error.message, /No facelive-engine configuration node/);
    });

    it('gives a node its badge as a deploy starts it: red without an engine or with refused settings, else none (Node-RED keeps the last one through a redeploy)', async () => {
      /** The badges this instance of node `id` was given, in order. */
      const badges = (id: string): unknown[] => {
        const node = helper.getNode(id);
        const spy = node.status as unknown as { getCalls(): { thisValue: unknown; args: unknown[] }[] };
        return spy.getCalls().filter((call) => call.thisValue === node).map((call) => call.args[0]);
      };
      const flow = (engine: string) => [
        { id: 'tab', type: 'tab', label: 'badges' },
        { id: 'cfg', type: 'facelive-engine', name: 'good' },
        { id: 'bad', type: 'facelive-engine', name: 'refused', threshold_liveness: '2' },
        { id: 'd1', z: 'tab', type: 'facelive-detect', engine, wires: [[], []] },
        { id: 'q', z: 'tab', type: 'facelive-validate-quality', engine: 'bad', wires: [[], []] },
        { id: 'a', z: 'tab', type: 'facelive-validate-attribute', engine: 'cfg', wires: [[], []] },
      ];
      await helper.load(faceliveNodes, flow(''));
      assert.deepEqual(badges('d1'), [{ fill: 'red', shape: 'ring', text: 'no engine' }]);
      assert.deepEqual(badges('q'), [{ fill: 'red', shape: 'ring', text: 'engine settings' }]);
      assert.deepEqual(badges('a'), [{}]);
      // Given an engine, d1 is started anew: its badge is cleared, not left at "no engine".
      await helper.setFlows(flow('cfg'), 'nodes');
      assert.deepEqual(badges('d1'), [{}]);
    });

    it('starts the engine again on the next message after it could not start', async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'facelive-late-pack-'));
      const packDir = path.join(dir, 'pack');
      try {
        await helper.load(faceliveNodes, nodeFlow('facelive-detect', {}, { pack: packDir }));
        const first = await run('caught', { payload: await selfieJpeg() });
        assert.equal(first.error.code, 'INTERNAL_SERVER_ERROR', 'no pack there yet');
        // The pack arrives (a mounted volume, a copy finishing): the next message gets an engine.
        mkdirSync(packDir);
        for (const file of readdirSync(DEFAULT_PACK_DIR)) {
          if (file === 'manifest.json' || file.endsWith('.onnx')) symlinkSync(path.join(DEFAULT_PACK_DIR, file), path.join(packDir, file));
        }
        const second = await run('pass', { payload: await selfieJpeg() });
        assert.equal(second.liveness.data.nface, 1);
      } finally {
        await helper.unload();
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('closes cleanly while a check is still running', async () => {
      const failures: unknown[] = [];
      const record = (err: unknown): void => { failures.push(err); };
      process.on('unhandledRejection', record);
      process.on('uncaughtException', record);
      try {
        await helper.load([engineNode, detectNode, qualityNode, attributeNode], sharedFlow);
        const image = await selfieJpeg();
        for (const id of ['d1', 'd2', 'q', 'a']) helper.getNode(id).receive({ payload: image });
        await helper.unload();
        await new Promise((resolve) => setTimeout(resolve, 500));
      } finally {
        process.off('unhandledRejection', record);
        process.off('uncaughtException', record);
      }
      assert.deepEqual(failures, [], 'nothing escapes to the process');
    });
  });
});
