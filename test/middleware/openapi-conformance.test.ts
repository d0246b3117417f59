// Real answers of the service against its OpenAPI document (examples/openapi.ts): each body is valid
// under the schema declared for its path and status (JSON Schema 2020-12, as OpenAPI 3.1 uses), and
// the document declares every field the body carries, so the two cannot drift apart unnoticed; and
// its description names the checks in the order the service runs them.

import assert from 'node:assert/strict';
import Ajv2020 from 'ajv/dist/2020';
import request from 'supertest';
import { openApiDocument } from '../../examples/openapi';
import { createApp, type FaceliveApp } from '../../examples/server';
import { landscapeJpeg, selfieJpeg, storedWithOrientation, twoFaces } from '../helpers/faces';
import { authHeaders, LIVE, sharedEngine } from '../helpers/server';

type Schema = Record<string, unknown>;
const DOCUMENT = JSON.parse(JSON.stringify(openApiDocument)) as Schema;

/** The schema reached by a local `#/...` reference, or the schema itself. */
function resolve(schema: Schema): Schema {
  const ref = schema.$ref;
  if (typeof ref !== 'string') return schema;
  return ref.slice(2).split('/').map((key) => key.replace(/~1/g, '/').replace(/~0/g, '~')).reduce<Schema>((node, key) => node[key] as Schema, DOCUMENT);
}

/** Paths in `value` that no `properties` of `schema` declare (following $ref and allOf). */
function undeclared(value: unknown, schema: Schema, at = '$'): string[] {
  const node = resolve(schema);
  if (Array.isArray(value)) {
    return node.items ? value.flatMap((item, i) => undeclared(item, node.items as Schema, `${at}[${i}]`)) : [];
  }
  if (value === null || typeof value !== 'object') return [];
  const parts = [node, ...((node.allOf as Schema[] | undefined) ?? []).map(resolve)];
  const properties: Record<string, Schema> = Object.assign({}, ...parts.map((part) => part.properties ?? {}));
  if (parts.some((part) => part.additionalProperties !== undefined) && Object.keys(properties).length === 0) return [];
  return Object.entries(value as Record<string, unknown>).flatMap(([key, inner]) =>
    properties[key] === undefined ? [`${at}.${key}`] : undeclared(inner, properties[key], `${at}.${key}`));
}

describe('the OpenAPI document against real answers', function () {
  this.timeout(60_000);
  let handle: FaceliveApp;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addSchema(DOCUMENT, 'openapi.json');

  before(async () => {
    handle = createApp({ engine: await sharedEngine(), credentials: [LIVE], logger: () => undefined });
    await handle.liveness.ready();
  });

  after(async () => {
    await handle.close();
  });

  /** Checks one answer against the document's response schema for its path, method and status. */
  function conforms(path: string, method: string, res: request.Response): void {
    const operation = ((DOCUMENT.paths as Schema)[path] as Schema)[method] as Schema;
    const response = (operation.responses as Schema)[String(res.status)] as Schema | undefined;
    assert.ok(response, `${method.toUpperCase()} ${path} declares status ${res.status}`);
    conformsTo(`/paths/${path.replace(/~/g, '~0').replace(/\//g, '~1')}/${method}/responses/${res.status}`, response, res);
  }

  /** Checks one answer's body against the JSON schema of the response at `at` (a pointer into the document). */
  function conformsTo(at: string, response: Schema, res: request.Response): void {
    const schema = ((response.content as Schema)['application/json'] as Schema).schema as Schema;
    const pointer = `openapi.json#${at}/content/application~1json/schema`;
    const validate = ajv.getSchema(pointer);
    assert.ok(validate, pointer);
    assert.ok(validate(res.body), `${at}: ${ajv.errorsText(validate.errors)}`);
    assert.deepEqual(undeclared(res.body, schema), [], `${at}: fields the document does not declare`);
  }

  /** The const value of a header the document declares (following $ref), or of the named one among `headers`. */
  function headerConst(header: Schema, name?: string): unknown {
    const resolved = resolve(name === undefined ? header : (header[name] as Schema));
    return (resolved.schema as Schema).const;
  }

  const post = (body: unknown) => request(handle.app).post('/v1/face/liveness').set(authHeaders(LIVE)).send(body as object);

  it('200: every section on and every validation, one face and two', async () => {
    for (const image of [await selfieJpeg(), await twoFaces()]) {
      const res = await post({ image: image.toString('base64'), validate_quality: true, validate_attribute: true, validate_liveness: true, validate_nface: true });
      assert.equal(res.status, 200);
      conforms('/v1/face/liveness', 'post', res);
    }
    const off = await post({ image: (await selfieJpeg()).toString('base64'), is_quality: false, is_attribute: false, is_liveness: false });
    conforms('/v1/face/liveness', 'post', off);
  });

  it('200: the EXIF orientation applied, in a field the document declares', async () => {
    const upright = await selfieJpeg();
    for (const [image, orientation] of [[upright, 1], [await storedWithOrientation(upright, 'webp', 6), 6], [await storedWithOrientation(upright, 'jpeg', 3), 3]] as const) {
      const res = await post({ image: image.toString('base64'), is_attribute: false });
      assert.equal(res.status, 200);
      conforms('/v1/face/liveness', 'post', res);
      assert.deepEqual(res.body.data.image, { width: 640, height: 480, format: orientation === 6 ? 'webp' : 'jpeg', orientation });
    }
  });

  it('400 and 401', async () => {
    const noFace = await post({ image: (await landscapeJpeg()).toString('base64') });
    assert.equal(noFace.status, 400);
    conforms('/v1/face/liveness', 'post', noFace);
    const unauthorized = await request(handle.app).post('/v1/face/liveness').send({ image: 'abcd' });
    assert.equal(unauthorized.status, 401);
    conforms('/v1/face/liveness', 'post', unauthorized);
  });

  it('405 for a method the path does not have, with the Allow header the document declares', async () => {
    const response = ((DOCUMENT.components as Schema).responses as Schema).MethodNotAllowed as Schema;
    for (const method of ['get', 'put', 'delete', 'patch'] as const) {
      const res = await request(handle.app)[method]('/v1/face/liveness');
      assert.equal(res.status, 405);
      conformsTo('/components/responses/MethodNotAllowed', response, res);
      assert.equal(res.headers.allow, headerConst((response.headers as Schema).Allow as Schema));
    }
  });

  it('OPTIONS: 200 with the Allow header the document declares, and no body', async () => {
    const operation = ((DOCUMENT.paths as Schema)['/v1/face/liveness'] as Schema).options as Schema;
    const response = (operation.responses as Schema)['200'] as Schema;
    const res = await request(handle.app).options('/v1/face/liveness');
    assert.equal(res.status, 200);
    assert.equal(res.headers.allow, headerConst((response.headers as Schema).Allow as Schema));
    assert.equal(response.content, undefined);
    assert.equal(res.text, '');
  });

  it('Cache-Control as the document declares it on every answer of the liveness path', async () => {
    const declared = headerConst((DOCUMENT.components as Schema).headers as Schema, 'NoStore');
    for (const res of [await post({ image: (await selfieJpeg()).toString('base64') }), await post({}), await request(handle.app).get('/v1/face/liveness'), await request(handle.app).options('/v1/face/liveness')]) {
      assert.equal(res.headers['cache-control'], declared, String(res.status));
    }
  });

  it('the health endpoints', async () => {
    conforms('/healthz', 'get', await request(handle.app).get('/healthz'));
    conforms('/healthz/ready', 'get', await request(handle.app).get('/healthz/ready'));
  });

  it('states the order of checks that the service applies (docs/api.md, "Order of the checks over HTTP")', () => {
    const description = openApiDocument.info.description;
    // middleware/index.ts's order; a step named out of it (quota before the 400s it follows) misleads clients.
    const steps = [
      'a method other than POST (405',
      'shutting down (503)',
      'cool-down (429)',
      'authentication (401)',
      'rate limit (429)',
      'a query string naming a field of the request body (400',
      'Expect: 100-continue; 400 INVALID_PAYLOAD_IMAGE_SIZE',
      'a full queue (503',
      'testing-mode quota (403',
      'the body and the engine',
    ];
    const at = steps.map((step) => description.indexOf(step));
    assert.deepEqual(steps.filter((_step, i) => at[i]! < 0), [], 'steps the description leaves out');
    assert.deepEqual([...at].sort((a, b) => a - b), at, 'the steps in this order');
    assert.match(description, /deadline \(503\) can end any step/);
  });

  it('finds what the document leaves out (the check itself can fail)', () => {
    assert.deepEqual(undeclared({ status: 'ok', engine: 'ready', extra: 1 }, resolve({ $ref: '#/paths/~1healthz/get/responses/200/content/application~1json/schema' })), ['$.extra']);
  });
});
