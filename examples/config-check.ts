// `facelive serve --check`: the service's configuration tried as the service would start on it (the
// config file read and checked, the middleware built, the model pack loaded and its files' sha256
// checked, each calibrated threshold's pack compared with it), then everything closed without
// listening. For a deployment step before a rolling restart: a process manager may replace every
// running process with ones that refuse the new file (docs/express.md, "Replacing a key").

import { loadConfig } from './service-config';
import { createApp, type FaceliveApp } from './server';
import { serviceOutput } from './service-output';
import { thresholdPackRefusal } from './threshold-packs';

/** 0 when the service would start on `env`'s configuration, 1 (with the reason on stderr) when not. */
export async function checkServiceConfig(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { notes } = serviceOutput();
  const source = env.FACELIVE_CONFIG === undefined || env.FACELIVE_CONFIG === '' ? 'no FACELIVE_CONFIG' : env.FACELIVE_CONFIG;
  let handle: FaceliveApp | undefined;
  try {
    const config = loadConfig(env);
    // No log lines: the check says what it found in one sentence on stderr.
    handle = createApp({ ...config, logger: () => undefined });
    const engine = await handle.liveness.ready();
    const refusal = thresholdPackRefusal(config.credentials ?? [], engine);
    if (refusal !== undefined) {
      notes.write(`facelive: ${refusal}\n`);
      return 1;
    }
    const credentials = config.credentials ?? [];
    const appIds = new Set(credentials.map((credential) => credential.appId)).size;
    const count = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;
    const listed = credentials.length === 0 ? 'no credentials (a development pair would be generated)' : `${count(credentials.length, 'credential')} of ${count(appIds, 'App-ID')}`;
    notes.write(`facelive: ${source}: the service would start on it: ${listed}, pack ${engine.pack.name}@${engine.pack.version}.\n`);
    return 0;
  } catch (err) {
    notes.write(`facelive: ${(err as Error).message}\n`);
    return 1;
  } finally {
    await handle?.close({ timeoutMs: 0 }).catch(() => undefined);
  }
}
