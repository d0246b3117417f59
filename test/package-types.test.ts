// The published declarations as a TypeScript project of its own compiles them: the files `npm pack`
// would publish, installed as node_modules/facelive beside the repository's own packages, checked
// with skipLibCheck off under NodeNext, bundler and node10 resolution, the strictest flags on.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';

const root = path.resolve(__dirname, '..', '..');

const STRICTEST = {
  strict: true, skipLibCheck: false, noEmit: true, target: 'ES2022', lib: ['ES2022'], types: ['node'],
  exactOptionalPropertyTypes: true, noUncheckedIndexedAccess: true,
};

// A core-only consumer that fills optional options from its configuration, as `undefined` where unset.
const CORE = `import { createEngine, FaceliveError, type CheckFlags, type CheckResult } from 'facelive';
const env: Record<string, string | undefined> = {};
export async function run(image: Buffer, flags: CheckFlags, requestId?: string): Promise<CheckResult | undefined> {
  const engine = await createEngine({
    pack: env['PACK'], warmUp: env['WARM'] === undefined ? undefined : env['WARM'] === 'true',
    limits: { maxImageBytes: env['MAX'] === undefined ? undefined : Number(env['MAX']) },
    thresholds: { liveness: undefined },
  });
  try {
    const result = await engine.check(image, { ...flags, validate_liveness: env['LIVE'] ? true : undefined }, { requestId });
    const probability: number | undefined = result.data.liveness?.probability;
    const box: number | undefined = result.data.faces[0]?.box.width;
    console.log(result.error_code, probability, box);
    return result;
  } catch (err) {
    if (err instanceof FaceliveError) console.log(err.code, err.status, err.retryAfterS);
    return undefined;
  } finally {
    await engine.dispose();
  }
}
`;

const MIDDLEWARE = `import express from 'express';
import { errorHandler, faceLiveness, RedisQuotaStore, type Logger } from 'facelive/middleware';
const env: Record<string, string | undefined> = {};
const logger: Logger | undefined = env['LOG'] ? (entry) => console.log(entry) : undefined;
const app = express();
const router = faceLiveness({
  auth: { credentials: [
    { appId: 'shop', apiKey: 'key', mode: 'live', livenessThreshold: undefined },
    { appId: 'kyc', apiKeySha256: env['KYC_KEY_SHA256'] ?? '', mode: 'testing', quota: 5 },
  ] },
  mode: 'annotate', logger, maxInFlight: undefined, limits: { maxImageBytes: undefined },
  quota: env['REDIS'] ? new RedisQuotaStore({ url: env['REDIS'], prefix: undefined }) : undefined,
  rateLimit: env['RATE'] ? { limit: Number(env['RATE']), windowMs: undefined } : undefined,
});
app.use('/v1/face/liveness', router);
app.post('/v1/face/liveness', (req, res) => { res.json(req.faceLiveness?.data.status ?? null); });
app.use(errorHandler({ logger }));
void router.close({ timeoutMs: undefined });
`;

const CONFIGS: Record<string, Record<string, unknown>> = {
  NodeNext: { module: 'NodeNext', moduleResolution: 'NodeNext', verbatimModuleSyntax: true },
  bundler: { module: 'ESNext', moduleResolution: 'bundler', verbatimModuleSyntax: true },
  node10: { module: 'commonjs', moduleResolution: 'node', esModuleInterop: true },
};

// Parsed declaration files, shared by the compilations (parsing @types/node anew takes seconds).
const parsed = new Map<string, ts.SourceFile | undefined>();

function cachingHost(options: ts.CompilerOptions): ts.CompilerHost {
  const host = ts.createCompilerHost(options);
  const parse = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    const key = `${fileName}|${JSON.stringify(languageVersion)}`;
    if (!parsed.has(key)) parsed.set(key, parse(fileName, languageVersion, onError, shouldCreate));
    return parsed.get(key);
  };
  return host;
}

/** Compiles `files` (names under `dir`) with the strictest options and `extra`; the diagnostics as text. */
function compile(dir: string, files: readonly string[], extra: Record<string, unknown>): string[] {
  const { options, errors } = ts.convertCompilerOptionsFromJson({ ...STRICTEST, ...extra }, dir);
  assert.deepEqual(errors, []);
  const program = ts.createProgram(files.map((f) => path.join(dir, f)), options, cachingHost(options));
  // The consumer's files and facelive's declarations, each checked in full (what skipLibCheck: false
  // adds); the other packages' declarations are theirs to check, and checking @types/node takes seconds.
  const ours = program.getSourceFiles().filter((f) => !path.relative(dir, f.fileName).startsWith('node_modules') || f.fileName.startsWith(path.join(dir, 'node_modules', 'facelive') + path.sep));
  const diagnostics = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics(),
    ...ours.flatMap((f) => [...program.getSyntacticDiagnostics(f), ...program.getSemanticDiagnostics(f)])];
  return diagnostics.map((d) => {
    const where = d.file ? `${path.relative(dir, d.file.fileName)}(${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}): ` : '';
    return where + ts.flattenDiagnosticMessageText(d.messageText, '\n');
  });
}

describe('the published declarations in a TypeScript project', function () {
  this.timeout(120_000);
  let dir: string;

  before(function () {
    const listed = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })) as { files: { path: string }[] }[];
    dir = mkdtempSync(path.join(os.tmpdir(), 'facelive-types-'));
    const installed = path.join(dir, 'node_modules', 'facelive');
    for (const file of listed[0]!.files.map((f) => f.path).filter((f) => f === 'package.json' || f.endsWith('.d.ts'))) {
      mkdirSync(path.dirname(path.join(installed, file)), { recursive: true });
      copyFileSync(path.join(root, file), path.join(installed, file));
    }
    // Every other package as the repository has it installed; @types one by one, so that a consumer
    // without @types/express can be made by leaving it out.
    for (const name of readdirSync(path.join(root, 'node_modules'))) {
      if (name === '@types' || name.startsWith('.')) continue;
      symlinkSync(path.join(root, 'node_modules', name), path.join(dir, 'node_modules', name));
    }
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    writeFileSync(path.join(dir, 'core.ts'), CORE);
    writeFileSync(path.join(dir, 'middleware.ts'), MIDDLEWARE);
  });

  after(function () {
    parsed.clear();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function withTypes(names: readonly string[]): void {
    const types = path.join(dir, 'node_modules', '@types');
    rmSync(types, { recursive: true, force: true });
    mkdirSync(types);
    for (const name of names) symlinkSync(path.join(root, 'node_modules', '@types', name), path.join(types, name));
  }

  for (const [name, extra] of Object.entries(CONFIGS)) {
    it(`compile, optional options given as undefined, under ${name} resolution`, function () {
      withTypes(readdirSync(path.join(root, 'node_modules', '@types')));
      assert.deepEqual(compile(dir, ['core.ts', 'middleware.ts'], extra), []);
    });
  }

  it('compile for the core library without @types/express installed', function () {
    withTypes(readdirSync(path.join(root, 'node_modules', '@types')).filter((name) => name !== 'express'));
    assert.deepEqual(compile(dir, ['core.ts'], CONFIGS.NodeNext!), []);
    assert.notDeepEqual(compile(dir, ['middleware.ts'], CONFIGS.NodeNext!), [], 'the middleware still needs @types/express');
  });
});
