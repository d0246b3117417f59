// Shared pieces for the middleware tests: engines loaded once per run, listening apps, credentials.

import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import type { Express } from 'express';
import { createEngine } from '../../core';
import type { Engine, EngineOptions } from '../../core/engine-types';
import type { Credential } from '../../middleware';

const engines = new Map<string, Promise<Engine>>();

/**
 * An engine for these options, created once per test run and shared (loading a pack is the slow
 * part). Loopback URLs are allowed unless the options say otherwise: the tests serve images there.
 */
export function sharedEngine(options: EngineOptions = {}): Promise<Engine> {
  const merged: EngineOptions = { ...options, limits: { allowPrivateNetwork: true, ...options.limits } };
  const key = JSON.stringify(merged);
  let engine = engines.get(key);
  if (engine === undefined) {
    engine = createEngine(merged);
    engines.set(key, engine);
  }
  return engine;
}

/** Disposes of every shared engine (call once, from a root after hook). */
export async function disposeSharedEngines(): Promise<void> {
  const all = [...engines.values()];
  engines.clear();
  await Promise.all(all.map(async (engine) => (await engine).dispose()));
}

export interface Listening {
  readonly url: string;
  readonly server: http.Server;
  close(): Promise<void>;
}

/** Serves `app` (or a plain handler) on a free port of 127.0.0.1. */
export async function listen(app: Express | http.RequestListener): Promise<Listening> {
  const server = http.createServer(app as http.RequestListener);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export const LIVE: Credential = Object.freeze({ appId: 'app-live', apiKey: 'live-key-0123456789', mode: 'live' });
export const TESTING: Credential = Object.freeze({ appId: 'app-testing', apiKey: 'testing-key-0123456789', mode: 'testing', quota: 2 });

/** The auth headers of a credential. */
export function authHeaders(credential: Credential): Record<string, string> {
  return { 'App-ID': credential.appId, 'API-Key': credential.apiKey };
}

/**
 * Sends raw bytes on a new connection; resolves with everything the server wrote once it closes the
 * connection (or after `waitMs`). `trickle`, when given, is sent again every 20 ms until then: a body
 * that never stops coming, which keeps the connection from ever idling (Node closes an idle keep-alive
 * connection after 5 s); the server resetting the connection under it counts as closing it.
 */
export function exchange(port: number, head: string, body: Buffer, waitMs: number, trickle?: Buffer): Promise<{ answer: string; closedByServer: boolean; ms: number }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    let closedByServer = false;
    let sending: NodeJS.Timeout | undefined;
    const finish = (): void => {
      clearTimeout(timer);
      clearInterval(sending);
      socket.destroy();
      resolve({ answer, closedByServer, ms: Date.now() - started });
    };
    const timer = setTimeout(finish, waitMs);
    socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
    socket.on('end', () => {
      closedByServer = true;
      finish();
    });
    socket.on('error', () => {
      if (trickle === undefined) return;
      closedByServer = true;
      finish();
    });
    socket.write(head);
    socket.write(body);
    if (trickle !== undefined) sending = setInterval(() => socket.write(trickle), 20);
  });
}
