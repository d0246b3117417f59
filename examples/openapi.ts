// The OpenAPI 3.1 document served at GET /openapi.json; it restates the contract (API.md).

import { ERROR_CODES, ERROR_TABLE } from '../core/errors';
import { MAX_EXTRA_FORM_FIELDS } from '../middleware/multipart';

const flag = (description: string, defaultValue: boolean): Record<string, unknown> => ({ type: 'boolean', default: defaultValue, description });

const FLAGS = {
  is_quality: flag('Compute image quality: blur, dark, grayscale (and the extension measures).', true),
  is_attribute: flag('Detect attributes: sunglasses, mask, veil, hat.', true),
  is_liveness: flag('Compute liveness.', true),
  validate_quality: flag('Fail the verdict when blur or dark exceed their thresholds, or the image is grayscale; needs is_quality.', false),
  validate_attribute: flag('Fail the verdict when sunglasses or mask is detected; needs is_attribute.', false),
  validate_liveness: flag('Fail the verdict when the face is judged a spoof; needs is_liveness.', false),
  validate_nface: flag('Fail the verdict when the image holds more than one face.', false),
};

const measure = {
  type: 'object',
  required: ['score', 'threshold', 'pass'],
  properties: { score: { type: 'number', minimum: 0, maximum: 1 }, threshold: { type: 'number' }, pass: { type: 'boolean' } },
};

const attribute = {
  type: 'object',
  required: ['probability', 'threshold', 'detected'],
  properties: { probability: { type: 'number', minimum: 0, maximum: 1 }, threshold: { type: 'number' }, detected: { type: 'boolean' } },
};

const point = { type: 'object', required: ['x', 'y'], properties: { x: { type: 'number' }, y: { type: 'number' } } };

const errorResponse = (codes: string[]): Record<string, unknown> => ({
  description: codes.map((code) => `\`${code}\`: ${ERROR_TABLE[code as keyof typeof ERROR_TABLE].message}`).join('\n\n'),
  headers: { 'X-Request-Id': { $ref: '#/components/headers/RequestId' }, 'Cache-Control': { $ref: '#/components/headers/NoStore' } },
  content: {
    'application/json': {
      schema: {
        allOf: [{ $ref: '#/components/schemas/Error' }, { type: 'object', properties: { error_code: { enum: codes } } }],
      },
    },
  },
});

/** An error response that also carries Retry-After (429 and 503). */
const retryResponse = (codes: string[]): Record<string, unknown> => {
  const base = errorResponse(codes);
  return {
    ...base,
    headers: {
      ...(base.headers as Record<string, unknown>),
      'Retry-After': { description: 'Seconds to wait before retrying.', schema: { type: 'integer', minimum: 1 } },
    },
  };
};

/** The error response of a method the liveness path does not have (405), with Allow. */
const methodNotAllowedResponse = (codes: string[]): Record<string, unknown> => {
  const base = errorResponse(codes);
  return {
    ...base,
    description: `Any method on /v1/face/liveness but POST and OPTIONS (extension). ${base.description as string}`,
    headers: {
      ...(base.headers as Record<string, unknown>),
      Allow: { $ref: '#/components/headers/Allow' },
    },
  };
};

const pack = { type: 'object', required: ['name', 'version'], properties: { name: { type: 'string' }, version: { type: 'string' } } };

const HEALTH = {
  type: 'object',
  required: ['status', 'engine'],
  properties: {
    status: { enum: ['ok', 'failed'] },
    engine: { enum: ['loading', 'ready', 'failed'] },
    reason: { type: 'string', description: 'Why the engine cannot answer (when failed).' },
    pack,
  },
};

const READY = {
  type: 'object',
  required: ['status', 'engine', 'quota_store', 'draining', 'in_flight', 'queued', 'fetching'],
  properties: {
    status: { enum: ['ready', 'not ready'] },
    engine: { enum: ['loading', 'ready', 'failed'] },
    quota_store: { type: 'object', required: ['kind', 'available'], properties: { kind: { enum: ['memory', 'redis'] }, available: { type: 'boolean' } } },
    draining: { type: 'boolean' },
    in_flight: { type: 'integer', minimum: 0 },
    queued: { type: 'integer', minimum: 0 },
    fetching: { type: 'integer', minimum: 0, description: 'Requests fetching a URL image before they ask for a check slot.' },
    pack,
  },
};

const health = (description: string, schema: Record<string, unknown>): Record<string, unknown> => ({
  description,
  content: { 'application/json': { schema } },
});

const byStatus = (status: number): string[] => ERROR_CODES.filter((code) => ERROR_TABLE[code].status === status);

export const openApiDocument = Object.freeze({
  openapi: '3.1.0',
  info: {
    title: 'facelive',
    version: '0.1.0',
    summary: 'Self-hosted face liveness detection.',
    description:
      'One operation: check one face image for liveness, quality and attributes. Checks run in this order: ' +
      'a method other than POST (405 METHOD_NOT_ALLOWED with Allow: POST, OPTIONS, the response MethodNotAllowed; OPTIONS is answered 200 with that Allow alone); ' +
      'shutting down (503); a client address in its failed-authentication cool-down (429); authentication (401); the credential\'s rate limit (429); ' +
      'a query string naming a field of the request body (400 INVALID_PAYLOAD: the fields go in the body; other query parameters are ignored); ' +
      'a Content-Length over the body limit from a client that asks before sending the body (Expect: 100-continue; 400 INVALID_PAYLOAD_IMAGE_SIZE, the body unsent); ' +
      'a full queue (503, checked before any quota is reserved or the body read, and again when the request asks for a check slot); ' +
      'testing-mode quota (403, or 503 when the quota store is unreachable); then the body and the engine, the 400 codes in the order listed. ' +
      'A missed deadline (503) can end any step. One request gets exactly one code. ' +
      'Quota is charged only for answers of 200. Every answer on /v1/face/liveness carries Cache-Control: no-store.',
    license: { name: 'MIT', identifier: 'MIT' },
  },
  paths: {
    '/v1/face/liveness': {
      post: {
        operationId: 'checkLiveness',
        summary: 'Check one face image',
        security: [{ AppId: [], ApiKey: [] }],
        parameters: [
          {
            name: 'X-Request-Id',
            in: 'header',
            required: false,
            description: 'Caller-chosen request id (letters, digits and . _ : -; at most 128 characters). A UUID is made when absent.',
            schema: { type: 'string', maxLength: 128 },
          },
        ],
        requestBody: {
          required: true,
          content: {
            'application/json': { schema: { $ref: '#/components/schemas/LivenessRequest' } },
            'multipart/form-data': {
              schema: {
                type: 'object',
                description:
                  'The image as a file part, the flags as text fields. As in JSON, the flags are judged before the image\'s size, and other text fields are ignored: ' +
                  `at most ${MAX_EXTRA_FORM_FIELDS + Object.keys(FLAGS).length + 1} text fields in all (the flags, image sent as text, and ${MAX_EXTRA_FORM_FIELDS} more).`,
                required: ['image'],
                properties: {
                  image: { type: 'string', contentMediaType: 'application/octet-stream', description: 'The image file (at most 5 MiB).' },
                  ...Object.fromEntries(Object.keys(FLAGS).map((name) => [name, { type: 'string', enum: ['true', 'false'] }])),
                },
              },
            },
          },
        },
        responses: {
          '200': {
            description: 'The request was processed: PASS (error_code null) or FAIL_ON_n.',
            headers: { 'X-Request-Id': { $ref: '#/components/headers/RequestId' }, 'Cache-Control': { $ref: '#/components/headers/NoStore' } },
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Verdict' } } },
          },
          '400': errorResponse(byStatus(400)),
          '401': errorResponse(byStatus(401)),
          '403': errorResponse(byStatus(403)),
          '429': retryResponse(byStatus(429)),
          '500': errorResponse(byStatus(500)),
          '503': retryResponse(byStatus(503)),
        },
      },
      options: {
        operationId: 'livenessOptions',
        summary: 'The methods the path answers (no credentials needed)',
        responses: {
          '200': {
            description: 'No content; a body sent with the request is dropped, or the connection closed after the answer.',
            headers: { Allow: { $ref: '#/components/headers/Allow' }, 'Cache-Control': { $ref: '#/components/headers/NoStore' } },
          },
        },
      },
    },
    '/healthz': {
      get: {
        operationId: 'health',
        summary: 'Liveness of the process (not of a face)',
        responses: {
          '200': health('The process works (also while the engine loads).', HEALTH),
          '503': health('The engine failed to load or can no longer run one of its models: restart the process.', HEALTH),
        },
      },
    },
    '/healthz/ready': {
      get: {
        operationId: 'ready',
        summary: 'Readiness: send traffic only on 200',
        responses: {
          '200': health('The engine is loaded, the quota store answers and no shutdown is under way.', READY),
          '503': health('Not ready: see engine, quota_store and draining.', READY),
        },
      },
    },
  },
  components: {
    securitySchemes: {
      AppId: { type: 'apiKey', in: 'header', name: 'App-ID' },
      ApiKey: { type: 'apiKey', in: 'header', name: 'API-Key' },
    },
    headers: {
      RequestId: { description: 'The request id (also in data.request_id or the error body).', schema: { type: 'string' } },
      NoStore: { description: 'Answers about faces are not to be stored by any cache.', schema: { type: 'string', const: 'no-store' } },
      Allow: { description: 'The methods the path answers: POST and OPTIONS.', schema: { type: 'string', const: 'POST, OPTIONS' } },
    },
    responses: {
      // Under no operation: it answers the methods the path does not have.
      MethodNotAllowed: methodNotAllowedResponse(byStatus(405)),
    },
    schemas: {
      LivenessRequest: {
        type: 'object',
        required: ['image'],
        properties: {
          image: {
            type: 'string',
            description:
              'base64 (plain, or a data:image/...;base64, URI) or an http(s) URL. JPEG or PNG (WebP accepted as an extension; HEIC, AVIF and HDR PNGs are refused with INVALID_PAYLOAD_IMAGE_FORMAT, the message saying what to send). At most 5 MiB of image bytes. ' +
              'URLs: 15 s total budget including at most 3 redirects; non-public addresses are refused unless the integrator allows them.',
          },
          ...FLAGS,
        },
      },
      Error: {
        type: 'object',
        required: ['message', 'error_code', 'request_id'],
        properties: {
          message: { type: 'string', description: 'A human sentence.' },
          error_code: { type: 'string', enum: ERROR_CODES },
          request_id: { type: 'string' },
        },
      },
      Verdict: {
        type: 'object',
        required: ['message', 'error_code', 'data'],
        properties: {
          message: { type: 'string' },
          error_code: {
            oneOf: [{ type: 'null', description: 'PASS' }, { type: 'string', pattern: '^FAIL_ON_([1-9]|1[0-5])$', description: 'Sum of failed validations: 1 liveness, 2 attribute, 4 quality, 8 nface.' }],
          },
          data: { $ref: '#/components/schemas/VerdictData' },
        },
      },
      VerdictData: {
        type: 'object',
        description: 'Sections switched off by is_* = false are absent, not null.',
        required: ['status', 'fail_code', 'validations', 'nface', 'faces', 'image', 'pack', 'options', 'request_id'],
        properties: {
          status: { enum: ['PASS', 'FAIL'] },
          fail_code: { type: 'integer', minimum: 0, maximum: 15 },
          validations: {
            type: 'object',
            properties: {
              requested: {
                type: 'object',
                properties: { liveness: { type: 'boolean' }, attribute: { type: 'boolean' }, quality: { type: 'boolean' }, nface: { type: 'boolean' } },
              },
              failed: { type: 'array', items: { enum: ['liveness', 'attribute', 'quality', 'nface'] } },
            },
          },
          nface: { type: 'integer', minimum: 1 },
          faces: {
            type: 'array',
            items: {
              type: 'object',
              required: ['box', 'score', 'primary'],
              properties: {
                box: {
                  type: 'object',
                  required: ['x', 'y', 'width', 'height'],
                  properties: { x: { type: 'number' }, y: { type: 'number' }, width: { type: 'number' }, height: { type: 'number' } },
                },
                score: { type: 'number', minimum: 0, maximum: 1 },
                primary: { type: 'boolean' },
                counted: { type: 'boolean', description: 'Extension: whether nface counts this face (the pack leaves out faces that are unsure or tiny next to the image or the primary face).' },
                landmarks: { type: 'array', items: point, minItems: 68, maxItems: 68, description: '68 points (iBUG 300-W order) in pixels of the image as sent; the 32 largest faces have them.' },
              },
            },
          },
          liveness: {
            type: 'object',
            required: ['probability', 'is_live', 'threshold'],
            properties: {
              probability: { type: 'number', minimum: 0, maximum: 1, description: 'Probability that the face is live.' },
              is_live: { type: 'boolean' },
              threshold: { type: 'number' },
              models: { type: 'object', additionalProperties: { type: 'number' } },
            },
          },
          quality: {
            type: 'object',
            required: ['blur', 'dark', 'grayscale'],
            properties: {
              blur: measure,
              dark: measure,
              grayscale: { allOf: [measure, { type: 'object', properties: { value: { type: 'boolean' } } }] },
              exposure: measure,
              backlight: measure,
              face_size: { type: 'object', properties: { inter_eye_px: { type: 'number' }, threshold: { type: 'number' }, pass: { type: 'boolean' } } },
              framing: { type: 'object', properties: { image_to_face: { type: 'number' }, threshold: { type: 'number' }, pass: { type: 'boolean' } } },
              pose: {
                type: 'object',
                description: 'Extension: head pose in degrees from the pose model; passes when |pitch| and |roll| are at most their limits, the yaw fitted to the 68 landmarks (yaw_from_landmarks) is at most max_yaw_from_landmarks, and |yaw| is at most max_yaw or |yaw_from_landmarks| at most 2 * max_yaw - max_yaw_from_landmarks (the model reads some frontal faces as turned).',
                required: ['yaw', 'pitch', 'roll', 'yaw_from_landmarks', 'max_yaw', 'max_pitch', 'max_roll', 'max_yaw_from_landmarks', 'pass'],
                properties: {
                  yaw: { type: 'number' }, pitch: { type: 'number' }, roll: { type: 'number' },
                  yaw_from_landmarks: { type: 'number' },
                  max_yaw: { type: 'number' }, max_pitch: { type: 'number' }, max_roll: { type: 'number' },
                  max_yaw_from_landmarks: { type: 'number' },
                  pass: { type: 'boolean' },
                },
              },
            },
          },
          attributes: {
            type: 'object',
            required: ['sunglasses', 'mask', 'veil', 'hat'],
            properties: {
              sunglasses: attribute, mask: attribute, veil: attribute, hat: attribute,
              eyeglasses: { ...attribute, description: 'Extension: clear glasses; reported, never a validate_attribute failure.' },
            },
          },
          image: {
            type: 'object',
            required: ['width', 'height', 'format', 'orientation'],
            properties: {
              width: { type: 'integer' }, height: { type: 'integer' }, format: { type: 'string' },
              orientation: { type: 'integer', minimum: 1, maximum: 8, description: 'Extension: the EXIF orientation applied to the stored pixels before the check (1 when the image had none; 5 to 8 swap width and height), so boxes and landmarks are in the image as viewers that apply EXIF show it. A client drawing them over the stored pixels turns or flips those the same way first; some browsers ignore a WebP\'s EXIF.' },
              rotation: { type: 'integer', enum: [90, 180, 270], description: 'Extension: present when the image was turned clockwise by this much to put the face upright (a photo that lost its orientation); boxes and landmarks are in the image as sent.' },
            },
          },
          pack,
          options: { type: 'object', properties: FLAGS },
          request_id: { type: 'string' },
          timings_ms: {
            type: 'object',
            description: 'Extension: milliseconds per stage of this check (liveness and pose run beside the others, timed from their start to their answer).',
            properties: Object.fromEntries(['decode', 'detect', 'landmarks', 'pose', 'liveness', 'quality', 'attributes', 'total'].map((stage) => [stage, { type: 'number', minimum: 0 }])),
          },
        },
      },
    },
  },
});
