// The service's /metrics on a port of its own (the config file's metricsPort). Two reasons: the API's
// callers cannot read it there (App-IDs and traffic in plain text), and several processes behind one
// port (PM2's cluster mode, node:cluster) each get their own: on a shared port the processes answer
// scrapes in turn, each with its own counters, which then read as going down and up, and rates
// computed from them are wrong. Each process listens on metricsPort plus its instance number
// (NODE_APP_INSTANCE, which PM2 sets 0 to N-1; a node:cluster primary of your own sets it when it
// forks), so scrape metricsPort to metricsPort + N - 1.

import type { Server } from 'node:http';
import express from 'express';
import { quote } from '../core/quote';
import { metricsRouter } from '../middleware';

/** The port this process serves metrics on: `base`, plus NODE_APP_INSTANCE where it is set (0 stays 0: any free port). */
export function metricsPortFor(base: number, env: NodeJS.ProcessEnv): number {
  const instanceText = env.NODE_APP_INSTANCE;
  if (base === 0 || instanceText === undefined || instanceText === '') return base;
  const instance = /^[0-9]{1,5}$/.test(instanceText.trim()) ? Number(instanceText.trim()) : Number.NaN;
  if (!Number.isInteger(instance)) throw new TypeError(`NODE_APP_INSTANCE must be a whole number (the process's instance), not ${quote(instanceText, 20)}.`);
  const port = base + instance;
  if (port > 65535) throw new TypeError(`metricsPort ${base} plus NODE_APP_INSTANCE ${instance} is past the last port, 65535.`);
  return port;
}

/** Serves GET /metrics (and nothing else) on `port` of `host` (every interface when undefined). */
export function listenForMetrics(port: number, host: string | undefined): Promise<Server> {
  const app = express();
  app.disable('x-powered-by');
  app.use('/metrics', metricsRouter());
  return new Promise<Server>((resolve, reject) => {
    const onListen = (err?: Error): void => (err ? reject(new Error(`cannot serve metrics on port ${port}: ${err.message}`)) : resolve(listening));
    const listening = host === undefined ? app.listen(port, onListen) : app.listen(port, host, onListen);
  });
}
