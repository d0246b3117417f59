// Authentication: App-ID / API-Key headers against a credential list (constant-time) or a function.

import { timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { FaceliveError } from '../core/errors';
import { quote } from '../core/quote';
import { checkThresholdPack } from '../core/models/pack-id';
import { checkLivenessThreshold } from '../core/thresholds';
import { describeValue } from '../core/value-kind';
import { headerValueFault } from './header-value';
import { keyDigest, keyDigestFault } from './key-digest';

export type CredentialMode = 'live' | 'testing';

/** What every listed credential carries besides its key. */
export interface CredentialFields {
  /** The App-ID header's value. */
  readonly appId: string;
  /** 'live' is unmetered; 'testing' is limited to `quota` answers of 200. */
  readonly mode: CredentialMode;
  /** Answers of 200 allowed in testing mode (a non-negative integer). Required for, and only for, testing mode. */
  readonly quota?: number | undefined;
  /**
   * Liveness threshold for this App-ID's checks, in [0,1]: one calibrated on its own cameras
   * (`facelive eval --calibrate`). Defaults to the engine's.
   */
  readonly livenessThreshold?: number | undefined;
  /**
   * The model pack `livenessThreshold` was calibrated on, as `name@version` (`facelive eval --calibrate`
   * prints it), handed to the engine with it: a check of this App-ID on any other pack is refused (500)
   * rather than judged at a threshold that belongs to other models; the service refuses to start with it.
   */
  readonly livenessThresholdPack?: string | undefined;
}

/** A credential that holds its key. */
export interface Credential extends CredentialFields {
  /** The API-Key header's value. */
  readonly apiKey: string;
  readonly apiKeySha256?: undefined;
}

/** A credential that holds only the SHA-256 of its key, so that the key is readable nowhere it is configured. */
export interface DigestCredential extends CredentialFields {
  readonly apiKey?: undefined;
  /** The SHA-256 of the API-Key header's value (its UTF-8 bytes), as 64 hex digits in either case (`facelive hash-key`). */
  readonly apiKeySha256: string;
}

/** A credential of a list (`auth.credentials`, the service's config file): its key, or the key's SHA-256. */
export type ListedCredential = Credential | DigestCredential;

/**
 * What an auth function returns for a known caller: at least the mode (and quota for testing). Its
 * `appId`, when given, is the one quota, rate limit, logs and metrics count under (a non-empty
 * string); without one, the App-ID header's.
 */
export type AuthResult = Pick<CredentialFields, 'mode' | 'quota'> &
  Partial<CredentialFields> & {
    /** When given, the request's API-Key must be this key: a stored credential returned as it is looked up is checked. */
    readonly apiKey?: string | undefined;
    /** When given, the SHA-256 (64 hex digits) the request's API-Key must have, as a listed credential's. */
    readonly apiKeySha256?: string | undefined;
  };

/** Decides a request's credential; null or undefined means unauthorized. */
export type AuthFunction = (
  appId: string,
  apiKey: string,
  req: Request,
) => AuthResult | null | undefined | Promise<AuthResult | null | undefined>;

/** false (no auth), a credential list, or a function. */
export type AuthOption = false | { readonly credentials: readonly ListedCredential[] } | AuthFunction;

/** What a request was authenticated as: the App-ID and its quota (undefined when unmetered). */
export interface Principal {
  readonly appId: string;
  readonly mode: CredentialMode;
  readonly quota?: number;
  /** The credential's liveness threshold, when it has one. */
  readonly livenessThreshold?: number;
  /** The pack that threshold was calibrated on (`name@version`), when the credential names one. */
  readonly livenessThresholdPack?: string;
}

/** Resolves a request to its principal, or rejects with UNAUTHORIZED. */
export type Authenticator = (req: Request) => Promise<Principal>;

const MODES: Readonly<Record<CredentialMode, true>> = Object.freeze({ live: true, testing: true });

function header(req: Request, name: string): string | undefined {
  const value = req.headers[name];
  const text = Array.isArray(value) ? value[0] : value;
  return typeof text === 'string' && text.length > 0 ? text : undefined;
}

const CREDENTIAL_KEYS: readonly string[] = ['appId', 'apiKey', 'apiKeySha256', 'mode', 'quota', 'livenessThreshold', 'livenessThresholdPack'];

/**
 * Checks one credential's shape but its key (an auth function's is the request's own; a listed one's
 * is checkKey's); `where` names it in the TypeError ("auth.credentials[2]").
 */
export function checkCredential(credential: unknown, where: string): Principal {
  if (credential === null || typeof credential !== 'object') {
    throw new TypeError(`Expected an object {appId, apiKey or apiKeySha256, mode, quota?, livenessThreshold?, livenessThresholdPack?} for ${where} but received ${describeValue(credential)}.`);
  }
  const { appId, mode, quota, livenessThreshold, livenessThresholdPack } = credential as Record<string, unknown>;
  if (typeof appId !== 'string' || appId.length === 0) throw new TypeError(`Expected a non-empty string for ${where}.appId.`);
  if (typeof mode !== 'string' || !Object.prototype.hasOwnProperty.call(MODES, mode)) {
    throw new TypeError(`Expected 'live' or 'testing' for ${where}.mode but received ${describeValue(mode)}.`);
  }
  if (mode === 'testing') {
    if (typeof quota !== 'number' || !Number.isInteger(quota) || quota < 0) {
      throw new TypeError(`Expected a non-negative integer for ${where}.quota (testing credentials need a quota) but received ${describeValue(quota)}.`);
    }
    return { appId, mode, quota, ...threshold(livenessThreshold, livenessThresholdPack, where) };
  }
  if (quota !== undefined) throw new TypeError(`${where}.quota is only allowed with mode 'testing'.`);
  return { appId, mode: 'live', ...threshold(livenessThreshold, livenessThresholdPack, where) };
}

function threshold(value: unknown, pack: unknown, where: string): Pick<Principal, 'livenessThreshold' | 'livenessThresholdPack'> {
  const livenessThresholdPack = pack === undefined ? undefined : checkThresholdPack(pack, value, where);
  if (value === undefined) return {};
  const livenessThreshold = checkLivenessThreshold(value, `${where}.livenessThreshold`);
  return livenessThresholdPack === undefined ? { livenessThreshold } : { livenessThreshold, livenessThresholdPack };
}

/** A fixed-time comparison of two strings through their SHA-256 digests (always equal length). */
export function sameSecret(expectedHash: Buffer, given: string): boolean {
  return timingSafeEqual(expectedHash, keyDigest(given));
}

/**
 * The SHA-256 a credential says the request's key must have: of its `apiKey`, or its `apiKeySha256`
 * as given; undefined when it carries neither. Both at once, a malformed digest or a key that is not
 * a non-empty string is a TypeError naming `where` (and the App-ID, when given); neither the key nor
 * the digest is ever quoted (a digest of a weak key gives the key away).
 */
function givenKeyHash(credential: Record<string, unknown>, where: string, appId?: string): Buffer | undefined {
  const { apiKey, apiKeySha256 } = credential;
  const ofApp = appId === undefined ? '' : ` (App-ID ${quote(appId)})`;
  if (apiKey !== undefined && apiKeySha256 !== undefined) {
    throw new TypeError(`${where}${ofApp} has both apiKey and apiKeySha256; give one: the key or its SHA-256.`);
  }
  if (apiKeySha256 !== undefined) {
    const fault = keyDigestFault(apiKeySha256);
    if (fault !== undefined) throw new TypeError(`Expected the key's SHA-256 as 64 hex digits for ${where}.apiKeySha256${ofApp} but ${fault}.`);
    return Buffer.from(apiKeySha256 as string, 'hex');
  }
  if (apiKey === undefined) return undefined;
  if (typeof apiKey !== 'string' || apiKey.length === 0) throw new TypeError(`Expected a non-empty string for ${where}.apiKey.`);
  return keyDigest(apiKey);
}

/** The SHA-256 a listed credential's key is compared through: it must give its key or the key's SHA-256. */
function checkKey(credential: Record<string, unknown>, appId: string, where: string): Buffer {
  const keyHash = givenKeyHash(credential, where, appId);
  if (keyHash === undefined) throw new TypeError(`Expected a non-empty string for ${where}.apiKey, or the key's SHA-256 for ${where}.apiKeySha256.`);
  // A key no request can send would answer every request with it 401, with nothing said at start.
  const fault = typeof credential['apiKey'] === 'string' ? headerValueFault(credential['apiKey']) : undefined;
  if (fault !== undefined) throw new TypeError(`${where}.apiKey (App-ID ${quote(appId)}) can never match an API-Key header: ${fault}.`);
  return keyHash;
}

/** Whether two entries of one App-ID agree on everything but the key (mode, quota, threshold, its pack). */
function samePrincipal(a: Principal, b: Principal): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]) as Set<keyof Principal>;
  return [...keys].every((key) => a[key] === b[key]);
}

function listAuthenticator(credentials: readonly ListedCredential[]): Authenticator {
  // An App-ID may be listed more than once, one key each, so that a key can be replaced without a
  // moment when neither the old nor the new one is accepted (docs/express.md, "Replacing a key").
  const table = new Map<string, { principal: Principal; keyHashes: Buffer[] }>();
  credentials.forEach((credential, index) => {
    const where = `auth.credentials[${index}]`;
    const principal = checkCredential(credential, where);
    // A misspelt key in a configured list (livenessTreshold) would silently drop the setting.
    // (A credential an auth function returns may carry its own fields: only listed ones are held to this.)
    for (const key of Object.keys(credential)) {
      if (!CREDENTIAL_KEYS.includes(key)) throw new TypeError(`${where} has an unknown key "${key}"; a credential takes ${CREDENTIAL_KEYS.join(', ')}.`);
    }
    // A value no request can send would answer every request with it 401, with nothing said at start.
    const appIdFault = headerValueFault(principal.appId);
    if (appIdFault !== undefined) throw new TypeError(`${where}.appId can never match an App-ID header: ${appIdFault}.`);
    const keyHash = checkKey(credential as unknown as Record<string, unknown>, principal.appId, where);
    const listed = table.get(principal.appId);
    if (listed === undefined) {
      table.set(principal.appId, { principal, keyHashes: [keyHash] });
    } else if (!samePrincipal(listed.principal, principal)) {
      throw new TypeError(`${where} repeats the App-ID "${principal.appId}" with other settings; the entries of one App-ID (one for each of its keys) must agree on everything but the key.`);
    } else if (listed.keyHashes.some((known) => known.equals(keyHash))) {
      throw new TypeError(`${where} repeats the App-ID "${principal.appId}" and its key.`);
    } else {
      listed.keyHashes.push(keyHash);
    }
  });
  // Unknown App-IDs still pay for one comparison, so timing does not tell them apart from wrong keys.
  const decoy = keyDigest('facelive-decoy-key');
  return async (req) => {
    const appId = header(req, 'app-id');
    const apiKey = header(req, 'api-key');
    if (appId === undefined || apiKey === undefined) throw new FaceliveError('UNAUTHORIZED', 'The App-ID and API-Key headers are required.');
    const entry = table.get(appId);
    // Every key of the App-ID is compared, so timing does not tell which one matched.
    let match = false;
    for (const keyHash of entry?.keyHashes ?? [decoy]) match = sameSecret(keyHash, apiKey) || match;
    if (entry === undefined || !match) throw new FaceliveError('UNAUTHORIZED');
    return entry.principal;
  };
}

/**
 * The App-ID a request counts under when the auth function returned `returned` for the header's
 * `header`. The returned one is the tenant's own: a lookup that matches the header loosely
 * (case-insensitively, by alias) must not make each spelling a tenant with its own quota, rate limit
 * and metric series. A database row's id may be a number (taken as its text), or null or empty where
 * the row has none: then, as without one, the header's. Any other type is left for checkCredential
 * to refuse.
 */
function tenantOf(returned: unknown, header: string): unknown {
  if (typeof returned === 'number' && Number.isFinite(returned)) return String(returned);
  if (returned === undefined || returned === null || returned === '') return header;
  return returned;
}

function functionAuthenticator(fn: AuthFunction): Authenticator {
  return async (req) => {
    const appId = header(req, 'app-id');
    const apiKey = header(req, 'api-key');
    if (appId === undefined || apiKey === undefined) throw new FaceliveError('UNAUTHORIZED', 'The App-ID and API-Key headers are required.');
    const credential = await fn(appId, apiKey, req);
    if (credential === null || credential === undefined) throw new FaceliveError('UNAUTHORIZED');
    // A function that looks a stored credential up by its App-ID and returns it (a row of digests)
    // has not checked the key: the key or digest it carries is, so that any key does not pass.
    const expected = typeof credential === 'object' ? givenKeyHash(credential as unknown as Record<string, unknown>, 'the credential returned by auth()') : undefined;
    if (expected !== undefined && !sameSecret(expected, apiKey)) throw new FaceliveError('UNAUTHORIZED');
    // A malformed credential from the integrator's function is a server fault, not the caller's.
    return checkCredential({ ...credential, appId: tenantOf((credential as { appId?: unknown }).appId, appId), apiKey }, 'the credential returned by auth()');
  };
}

/**
 * Builds the authenticator from the `auth` option, or null for `auth: false`.
 * @throws TypeError when the option or a listed credential is malformed.
 */
export function resolveAuth(auth: unknown): Authenticator | null {
  if (auth === false) return null;
  if (typeof auth === 'function') return functionAuthenticator(auth as AuthFunction);
  if (auth !== null && typeof auth === 'object' && Array.isArray((auth as { credentials?: unknown }).credentials)) {
    const extra = Object.keys(auth).filter((key) => key !== 'credentials');
    if (extra.length > 0) throw new TypeError(`Unknown key auth.${extra[0]}; auth takes {credentials: [...]}.`);
    return listAuthenticator((auth as { credentials: readonly ListedCredential[] }).credentials);
  }
  throw new TypeError(
    `Expected false, {credentials: [...]} or a function (appId, apiKey, req) for auth but received ${auth === undefined ? 'nothing' : describeValue(auth)}. ` +
      'Auth is required by the contract; pass auth: false to turn it off explicitly.',
  );
}
