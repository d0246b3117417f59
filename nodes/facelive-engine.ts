// facelive-engine: the config node. Owns one Engine, started at deploy by the nodes that use it
// and shared by every node that points at it (one promise); made anew after it failed or could not
// start; disposed of when the node closes (redeploy, shutdown) once the checks it had admitted have
// run. Checks through it run at most one per CPU the process may use (a cgroup CPU quota counted) at
// once.

import { AsyncLocalStorage } from 'node:async_hooks';
import { checkEngineOptions, createEngine, FaceliveError } from '../core';
import { usableCpuCount } from '../core/cpu-count';
import type { EngineOptions, FaceliveEngine } from '../core/engine-types';
import { DEFAULT_VALIDATE_ATTRIBUTES, engineOptionsFromConfig, type EngineConfigDef } from './lib/engine-config';
import type { EngineConfigNode } from './lib/engine-ref';
import type { NodeAPI } from './lib/red';

/** Checks that run at once through one engine node; the others wait in order. Read once, as Node-RED loads the node. */
const CHECK_PLACES = usableCpuCount();

/**
 * What a message gets that reaches a closed engine node: a retryable 503, not a 500. Node-RED closes
 * the node on a redeploy of it or on shutdown; a message sent again reaches the new flow.
 */
function closedError(): FaceliveError {
  return new FaceliveError(
    'SERVICE_UNAVAILABLE',
    'The facelive engine node was closed (a redeploy or a shutdown) before this message reached it; send it again.',
  );
}

export = function register(RED: NodeAPI): void {
  function FaceliveEngineNode(this: EngineConfigNode, def: EngineConfigDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    let options: EngineOptions = {};
    let configError: Error | undefined;
    try {
      options = engineOptionsFromConfig(def);
      // What the engine would refuse when it starts (a timeout past what a timer can wait, a
      // threshold over 1) is refused at deploy, with its reason. Not a missing pack: it may arrive
      // later (a mounted volume), and the next message then starts the engine.
      checkEngineOptions(options, { pack: false });
    } catch (err) {
      configError = err instanceof Error ? err : new TypeError(String(err));
      node.error(`Invalid facelive engine settings: ${configError.message}`);
    }
    let engine: Promise<FaceliveEngine> | undefined;
    /** The engine `engine` resolved to, to ask whether it still works. */
    let started: FaceliveEngine | undefined;
    let closed = false;
    /** The engine when the node closed: the work admitted before then still runs on it. */
    let atClose: Promise<FaceliveEngine> | undefined;
    /** Work in withEngine, running or waiting for a place; close disposes of the engine once it is 0. */
    let admitted = 0;
    let drained: (() => void) | undefined;
    /** Set inside admit(): the work of a message taken in before a close, which it may still finish. */
    const admittedScope = new AsyncLocalStorage<true>();

    node.validateAttributes = options.validateAttributes ?? DEFAULT_VALIDATE_ATTRIBUTES;
    node.unusable = configError;
    node.getEngine = () => {
      if (configError) return Promise.reject(configError);
      // A message admitted before the close (still loading its image, or the engine still starting)
      // is answered on the engine of that moment, which close keeps until that work is done.
      if (closed) return admittedScope.getStore() === true && atClose !== undefined ? atClose : Promise.reject(closedError());
      const failure = started?.failure();
      if (started !== undefined && failure !== undefined) {
        // A model's worker thread has exited: this engine cannot answer any more. Start another.
        node.warn(`The facelive engine can no longer run its models (${failure}); starting a new one.`);
        started.dispose().catch(() => undefined);
        started = undefined;
        engine = undefined;
      }
      if (engine) return engine;
      const starting: Promise<FaceliveEngine> = createEngine(options).then(
        (created) => {
          if (engine === starting) started = created;
          return created;
        },
        (err: unknown) => {
          node.error(`The facelive engine could not start: ${err instanceof Error ? err.message : String(err)}`);
          if (engine === starting) engine = undefined; // the next message tries again
          throw err;
        },
      );
      engine = starting;
      return starting;
    };

    /** Counts `work` as admitted until it settles: close disposes of the engine only once none is. */
    const counted = async <T>(work: () => Promise<T>): Promise<T> => {
      admitted += 1;
      try {
        return await work();
      } finally {
        admitted -= 1;
        if (admitted === 0 && drained) drained();
      }
    };

    node.admit = <T>(work: () => Promise<T>): Promise<T> => {
      if (closed) return Promise.reject(closedError());
      return counted(() => admittedScope.run(true, work));
    };

    // Not started here: each node that uses this one starts it as it starts (requireEngineConfig), so
    // that an engine node no running node uses (one left behind after its nodes were deleted, or whose
    // only nodes are disabled) loads nothing: an engine holds its models and worker threads (about
    // 220 MB of RSS), and the first message would start it anyway.

    let running = 0;
    const waiting: (() => void)[] = [];
    node.withEngine = async <T>(work: (engine: FaceliveEngine) => Promise<T>): Promise<T> => {
      if (closed && admittedScope.getStore() !== true) throw closedError();
      return counted(async () => {
        if (running < CHECK_PLACES) running += 1;
        else await new Promise<void>((resolve) => waiting.push(resolve)); // the place is handed over
        try {
          // Admitted before a close (a "modified nodes" deploy of this node), getEngine gives it the
          // engine of that moment, which close keeps until this work is done.
          return await work(await node.getEngine());
        } finally {
          const next = waiting.shift();
          if (next) next();
          else running -= 1;
        }
      });
    };

    node.on('close', (_removed, done) => {
      closed = true;
      const pending = engine;
      atClose = pending;
      engine = undefined;
      started = undefined;
      const release = (): void => {
        drained = undefined;
        atClose = undefined;
        if (!pending) done();
        // dispose() itself waits for the checks still running on the engine.
        else pending.then((created) => created.dispose()).then(() => done(), () => done());
      };
      if (admitted === 0) release();
      else drained = release;
    });
  }

  RED.nodes.registerType('facelive-engine', FaceliveEngineNode);
};
