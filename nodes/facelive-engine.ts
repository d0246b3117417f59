// facelive-engine: the config node. Owns one Engine, created on first use and shared by every
// node that points at it (one promise); disposed of when the node closes (redeploy, shutdown).

import { createEngine } from '../core';
import type { Engine, EngineOptions } from '../core/engine-types';
import { DEFAULT_VALIDATE_ATTRIBUTES, engineOptionsFromConfig, type EngineConfigDef } from './lib/engine-config';
import type { EngineConfigNode } from './lib/engine-ref';
import type { NodeAPI } from './lib/red';

export = function register(RED: NodeAPI): void {
  function FaceliveEngineNode(this: EngineConfigNode, def: EngineConfigDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    let options: EngineOptions = {};
    let configError: Error | undefined;
    try {
      options = engineOptionsFromConfig(def);
    } catch (err) {
      configError = err instanceof Error ? err : new TypeError(String(err));
      node.error(`Invalid facelive engine settings: ${configError.message}`);
    }
    let engine: Promise<Engine> | undefined;
    let closed = false;

    node.validateAttributes = options.validateAttributes ?? DEFAULT_VALIDATE_ATTRIBUTES;
    node.getEngine = () => {
      if (configError) return Promise.reject(configError);
      if (closed) return Promise.reject(new Error('The facelive engine node is closed.'));
      if (engine) return engine;
      const starting = createEngine(options).catch((err: unknown) => {
        node.error(`The facelive engine could not start: ${err instanceof Error ? err.message : String(err)}`);
        throw err;
      });
      engine = starting;
      return starting;
    };

    node.on('close', (_removed, done) => {
      closed = true;
      const pending = engine;
      engine = undefined;
      if (!pending) {
        done();
        return;
      }
      pending.then((started) => started.dispose()).then(() => done(), () => done());
    });
  }

  RED.nodes.registerType('facelive-engine', FaceliveEngineNode);
};
