import { describe, expect, test } from 'vitest';
import {
  describeNetworkError,
  hostPort,
  type RequestContext,
  statusError,
} from '../../../src/remote/errors.js';

const ctx = (over: Partial<RequestContext> = {}): RequestContext => ({
  baseUrl: 'https://notary.example:4443',
  gun: 'example.com/app',
  name: 'targets',
  isRoot: false,
  method: 'GET',
  url: 'https://notary.example:4443/v2/example.com/app/_trust/tuf/targets.json',
  ...over,
});
const body = (v: unknown) => Buffer.from(`${JSON.stringify(v)}\n`);
const validation = (name: string, msg: string) =>
  body({
    errors: [
      {
        code: 'INVALID_UPDATE',
        message: 'Update sent by the client is invalid.',
        detail: { Name: name, Error: { Msg: msg } },
      },
    ],
  });

describe('host:port as Go prints it', () => {
  test('kept as written', () => {
    expect(hostPort('https://notary.example:4443/prefix')).toBe('notary.example:4443');
    expect(hostPort('https://notary.example')).toBe('notary.example');
    expect(hostPort('https://notary.example:443')).toBe('notary.example:443');
    expect(hostPort('http://u:p@[::1]:80/x')).toBe('[::1]:80');
  });
});

describe('status → NotaryError (server-api.md §3)', () => {
  test('404 root / other', () => {
    const root = statusError(404, Buffer.alloc(0), ctx({ isRoot: true, name: 'root' }));
    expect([root.code, root.message]).toEqual([
      'NO_TRUST_DATA',
      'notary.example:4443 does not have trust data for example.com/app',
    ]);
    expect(root.exitCode).toBe(3);
    const other = statusError(404, Buffer.alloc(0), ctx({ name: 'timestamp key' }));
    expect([other.code, other.message]).toEqual([
      'NOT_FOUND',
      'timestamp key trust data unavailable.  Has a notary repository been initialized?',
    ]);
  });

  test('400 with a SerializableError detail → its message', () => {
    const cases: [string, string][] = [
      [
        'ErrBadTargets',
        'The targets metadata is invalid: valid signatures did not meet threshold for targets',
      ],
      ['ErrBadRoot', 'The root metadata is invalid: valid signatures did not meet threshold for targets'],
      [
        'ErrBadSnapshot',
        'The snapshot metadata is invalid: valid signatures did not meet threshold for targets',
      ],
      [
        'ErrValidation',
        'An error occurred during validation: valid signatures did not meet threshold for targets',
      ],
      [
        'ErrBadHierarchy',
        'Metadata hierarchy is incomplete: valid signatures did not meet threshold for targets',
      ],
    ];
    for (const [name, msg] of cases) {
      const e = statusError(
        400,
        validation(name, 'valid signatures did not meet threshold for targets'),
        ctx(),
      );
      expect([e.code, e.message]).toEqual(['SERVER_REJECTED', msg]);
    }
  });

  test('400 VERSION → version conflict; other 400 → rejected with the server text in the hint', () => {
    const v = statusError(
      400,
      body({
        errors: [
          { code: 'VERSION', message: 'A newer version of metadata is already available.', detail: {} },
        ],
      }),
      ctx(),
    );
    expect([v.code, v.message]).toEqual(['VERSION_CONFLICT', 'trust server rejected operation.']);
    const m = statusError(
      400,
      body({ errors: [{ code: 'MALFORMED_UPLOAD', message: 'The body of your request is malformed.' }] }),
      ctx(),
    );
    expect([m.code, m.message]).toEqual(['SERVER_REJECTED', 'trust server rejected operation.']);
    expect(m.hint).toContain('MALFORMED_UPLOAD: The body of your request is malformed.');
    const unknown = statusError(400, validation('ErrSomethingNew', 'x'), ctx());
    expect(unknown.message).toBe('trust server rejected operation.');
    const garbage = statusError(400, Buffer.from('<html>'), ctx());
    expect(garbage.message).toBe('trust server rejected operation.');
  });

  test('401, 5xx, 3xx', () => {
    expect(statusError(401, Buffer.alloc(0), ctx()).message).toBe(
      'you are not authorized to perform this operation: server returned 401.',
    );
    expect(statusError(401, Buffer.alloc(0), ctx()).code).toBe('UNAUTHORIZED');
    for (const s of [301, 403, 405, 500, 503]) {
      const e = statusError(s, Buffer.alloc(0), ctx());
      expect([e.code, e.message]).toEqual([
        s === 403 ? 'UNAUTHORIZED' : 'SERVER',
        `unable to reach trust server at this time: ${s}.`,
      ]);
      expect(e.hint).toBeTruthy();
    }
  });
});

describe('transport errors are classified with their real cause', () => {
  const tls = { skipVerify: false };
  const err = (code: string, message = code, extra: Record<string, unknown> = {}) =>
    Object.assign(new Error(message), { code, ...extra });
  test.each([
    ['ENOTFOUND', 'NETWORK', 'dial tcp: lookup h: no such host', false],
    ['EAI_AGAIN', 'NETWORK', 'dial tcp: lookup h: temporary failure in name resolution', true],
    ['ECONNREFUSED', 'NETWORK', 'dial tcp h:1: connect: connection refused', true],
    ['EHOSTUNREACH', 'NETWORK', 'dial tcp h:1: connect: no route to host', true],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'TLS', 'x509: certificate signed by unknown authority', false],
    ['SELF_SIGNED_CERT_IN_CHAIN', 'TLS', 'x509: certificate signed by unknown authority', false],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'TLS', 'x509: certificate signed by unknown authority', false],
    ['UND_ERR_HEADERS_TIMEOUT', 'TIMEOUT', 'net/http: timeout awaiting response headers', false],
    ['UND_ERR_CONNECT_TIMEOUT', 'TIMEOUT', 'dial tcp h:1: i/o timeout', true],
  ] as const)('%s', (code, kind, reason, transient) => {
    const p = describeNetworkError(err(code), 'h:1', tls);
    expect(p).toMatchObject({ code: kind, reason, transient });
    expect(p.hint.length).toBeGreaterThan(10);
  });

  test('TLS handshake timeout is worded like Go', () => {
    expect(
      describeNetworkError(err('UND_ERR_CONNECT_TIMEOUT', 'x', { phase: 'tls' }), 'h:1', tls).reason,
    ).toBe('net/http: TLS handshake timeout');
  });

  test('wrapped causes (fetch-style TypeError) are unwrapped', () => {
    const wrapped = Object.assign(new TypeError('fetch failed'), { cause: err('ECONNREFUSED') });
    expect(describeNetworkError(wrapped, 'h:1', tls).reason).toContain('connection refused');
  });

  test('unknown-authority hint depends on whether a CA file was given', () => {
    expect(describeNetworkError(err('UNABLE_TO_GET_ISSUER_CERT_LOCALLY'), 'h:1', tls).hint).toMatch(
      /--tlscacert.*remote_server\.root_ca/,
    );
    expect(
      describeNetworkError(err('UNABLE_TO_GET_ISSUER_CERT_LOCALLY'), 'h:1', {
        skipVerify: false,
        caFile: '/x/ca.pem',
      }).hint,
    ).toContain('/x/ca.pem');
  });

  test('hostname mismatch, expiry, client certificate', () => {
    expect(
      describeNetworkError(
        err('ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames"),
        'h:1',
        tls,
      ).reason,
    ).toMatch(/^x509: certificate is not valid for h/);
    expect(describeNetworkError(err('CERT_HAS_EXPIRED'), 'h:1', tls).reason).toMatch(/expired/);
    const req = describeNetworkError(
      err('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', 'tlsv13 alert certificate required'),
      'h:1',
      tls,
    );
    expect(req).toMatchObject({ code: 'TLS', reason: 'remote error: tls: certificate required' });
    expect(req.hint).toContain('--tlscert');
  });
});
