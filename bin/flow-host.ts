// Whether `npm run flow` may listen on the HOST it is given: Node-RED's editor and admin API run
// without authentication there (deploying a function node runs code), so only a loopback address is
// taken unless FACELIVE_FLOW_ALLOW_REMOTE_ADMIN=1 says the caller knows.

import ipaddr from 'ipaddr.js';
import { quote } from '../core/quote';

/** The environment variable that lets `npm run flow` listen on an address other than loopback. */
export const ALLOW_REMOTE_ADMIN = 'FACELIVE_FLOW_ALLOW_REMOTE_ADMIN';

/**
 * Whether a listen address is reachable from this machine only: localhost, or an address ipaddr.js
 * (which the URL image guard classifies addresses with too) puts in the loopback range, IPv4-mapped
 * forms included.
 */
export function isLoopbackHost(host: string): boolean {
  const address = host.trim().replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (address === 'localhost') return true;
  return ipaddr.isValid(address) && ipaddr.process(address).range() === 'loopback';
}

/** Why `npm run flow` refuses to listen on `host`, or undefined when it may. */
export function remoteAdminRefusal(host: string, env: NodeJS.ProcessEnv): string | undefined {
  if (isLoopbackHost(host) || env[ALLOW_REMOTE_ADMIN] === '1') return undefined;
  return (
    `HOST=${quote(host)} is not a loopback address: Node-RED's editor and admin API would answer ` +
    'there without authentication, and whoever reaches them can deploy a flow that runs code on this machine. ' +
    `Keep HOST on 127.0.0.1 (reach it through an SSH tunnel), or set ${ALLOW_REMOTE_ADMIN}=1 to listen there anyway ` +
    'on a network you trust.'
  );
}
