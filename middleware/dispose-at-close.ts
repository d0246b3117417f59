// Disposes of the middleware's own engine at close(). An engine still loading (its models, then its
// warm-up: three checks of a generated image, several seconds on a loaded CPU) is waited for only
// within what is left of close()'s timeoutMs: a stop signal that comes during start-up ends the
// service within its bound instead of after the warm-up. Past that, it is disposed of as soon as it
// has loaded, so its worker threads still end and a library caller's process can exit.

import type { Engine } from '../core/engine-types';

/**
 * Disposes of `engine` once it has loaded, waiting at most `waitMs` for the load. Resolves `true`
 * when the engine was disposed of (or failed to load) within it, `false` when it was still loading.
 * Never rejects.
 */
export async function disposeAtClose(engine: Promise<Engine>, waitMs: number): Promise<boolean> {
  const disposed = engine.then((loaded) => loaded.dispose()).then(() => true, () => true);
  let timer: NodeJS.Timeout | undefined;
  const waited = new Promise<'loading'>((resolve) => {
    timer = setTimeout(() => resolve('loading'), Math.max(0, waitMs));
  });
  // A loaded engine is disposed of without a bound: dispose() marks it closed at once and then
  // waits for the checks still running on it, as before.
  const loaded = await Promise.race([engine.then(() => 'loaded' as const, () => 'loaded' as const), waited]);
  clearTimeout(timer);
  if (loaded === 'loading') return false;
  return disposed;
}
