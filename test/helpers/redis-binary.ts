// Where the tests find redis-server: FACELIVE_TEST_REDIS_SERVER (a path) when set, else PATH, else
// Debian's /usr/bin/redis-server. No npm package ships a redis-server binary that installs from the
// registry alone (redis-memory-server downloads and compiles Redis at install), so none is used.

import { isExecutable, onPath, type Unavailable } from './binaries';

export const REDIS_ENABLE = 'sudo apt-get install -y redis-server';

/** The redis-server binary to start, or why there is none. */
export function findRedisServer(): { path: string } | Unavailable {
  const configured = process.env.FACELIVE_TEST_REDIS_SERVER;
  if (configured) {
    return isExecutable(configured)
      ? { path: configured }
      : { reason: `FACELIVE_TEST_REDIS_SERVER=${configured} is not an executable file`, enable: 'unset FACELIVE_TEST_REDIS_SERVER, or point it at redis-server' };
  }
  const found = onPath('redis-server') ?? (isExecutable('/usr/bin/redis-server') ? '/usr/bin/redis-server' : undefined);
  return found ? { path: found } : { reason: 'redis-server is not installed (no npm package ships one)', enable: REDIS_ENABLE };
}
