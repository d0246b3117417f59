// The security headers of every answer of the service: helmet's, adjusted for the demo page, and a
// Permissions-Policy (which helmet no longer sets).

import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * helmet's defaults, with what the demo page needs (images as data: and blob: URLs from uploads and
 * the camera), framing refused outright, and no HTTPS upgrade or HSTS: the service speaks plain
 * HTTP, and TLS, where there is any, is a proxy's.
 */
const SECURITY_HEADERS: Parameters<typeof helmet>[0] = {
  contentSecurityPolicy: {
    directives: {
      'img-src': ["'self'", 'data:', 'blob:'],
      // helmet's defaults let styles come from any https origin and inline, and fonts from anywhere:
      // the page's one stylesheet is its own, and it uses no font files.
      'style-src': ["'self'"],
      'font-src': ["'self'"],
      'frame-ancestors': ["'none'"],
      'upgrade-insecure-requests': null,
    },
  },
  xFrameOptions: { action: 'deny' },
  strictTransportSecurity: false,
};

/**
 * Browser features the service's pages may use: the demo page's own camera, nothing else. helmet no
 * longer sets this header. Denying the rest (microphone, location, screen capture, payment, ...) means
 * that no script the page might be made to run could reach them, and no page of the service asks.
 */
const PERMISSIONS_POLICY = [
  'camera=(self)',
  'microphone=()',
  'geolocation=()',
  'display-capture=()',
  'payment=()',
  'usb=()',
  'serial=()',
  'hid=()',
  'publickey-credentials-get=()',
].join(', ');

/** The handlers that set them, to be used before any route. */
export function securityHeaders(): RequestHandler[] {
  return [
    helmet(SECURITY_HEADERS),
    (_req, res, next) => {
      res.setHeader('Permissions-Policy', PERMISSIONS_POLICY);
      next();
    },
  ];
}
