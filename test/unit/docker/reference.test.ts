/**
 * Image references as docker 28 parses them; the expected names and messages were measured with
 * `docker trust` (the messages are docker's, word for word).
 */
import { describe, expect, it } from 'vitest';
import { trustServerUrl } from '../../../src/docker/config.js';
import {
  familiarName,
  isInsecureRegistry,
  isOfficialIndex,
  parseImageReference,
} from '../../../src/docker/reference.js';

describe('parseImageReference', () => {
  it.each([
    ['alpine', 'docker.io', 'library/alpine', '', ''],
    ['alpine:3.19', 'docker.io', 'library/alpine', '3.19', ''],
    ['index.docker.io/foo/bar:1', 'docker.io', 'foo/bar', '1', ''],
    ['user/app', 'docker.io', 'user/app', '', ''],
    ['localhost/app:x', 'localhost', 'app', 'x', ''],
    ['localhost:5000/a/b/c:v1.0-rc_1', 'localhost:5000', 'a/b/c', 'v1.0-rc_1', ''],
    ['127.0.0.1:5000/org/app', '127.0.0.1:5000', 'org/app', '', ''],
    ['[::1]:5000/org/app:1', '[::1]:5000', 'org/app', '1', ''],
    ['registry.example.com/admin/demo:1', 'registry.example.com', 'admin/demo', '1', ''],
    ['Foo/bar:1', 'Foo', 'bar', '1', ''],
    ['a__b/c--d:1', 'docker.io', 'a__b/c--d', '1', ''],
    [`app@sha256:${'a'.repeat(64)}`, 'docker.io', 'library/app', '', `sha256:${'a'.repeat(64)}`],
    [`app:1@sha256:${'b'.repeat(64)}`, 'docker.io', 'library/app', '1', `sha256:${'b'.repeat(64)}`],
  ])('%s', (input, domain, path, tag, digest) => {
    const r = parseImageReference(input);
    expect(r).toEqual({ original: input, domain, path, name: `${domain}/${path}`, tag, digest });
  });

  it.each([
    ['foo/Bar', 'invalid reference format: repository name (foo/Bar) must be lowercase'],
    ['UPPER', 'invalid reference format: repository name (library/UPPER) must be lowercase'],
    [':x', 'invalid reference format'],
    ['a@sha256:abc', 'invalid reference format'],
    ['a:b:c', 'invalid reference format'],
    ['', 'invalid reference format'],
    ['a//b', 'invalid reference format'],
    ['localhost/a:-x', 'invalid reference format'],
    ['a'.repeat(260), 'repository name must not be more than 255 characters'],
    [
      '0'.repeat(64),
      `invalid repository name (${'0'.repeat(64)}), cannot specify 64-byte hexadecimal strings`,
    ],
    [`a@sha256:${'a'.repeat(63)}`, 'invalid checksum digest length'],
  ])('rejects %s', (input, message) => {
    expect(() => parseImageReference(input)).toThrow(message);
    try {
      parseImageReference(input);
    } catch (e) {
      expect((e as Error).message).toBe(message);
      expect((e as { hint?: string }).hint).toMatch(/REPOSITORY\[:TAG\]/);
    }
  });

  it('names, registries and trust servers as docker', () => {
    const hub = parseImageReference('alpine');
    expect(familiarName(hub)).toBe('alpine');
    expect(isOfficialIndex(hub)).toBe(true);
    expect(trustServerUrl(hub, {})).toBe('https://notary.docker.io');
    const local = parseImageReference('localhost:5000/org/app');
    expect(isInsecureRegistry(local)).toBe(true);
    expect(isInsecureRegistry(parseImageReference('127.1.2.3/org/app'))).toBe(true);
    expect(isInsecureRegistry(parseImageReference('registry.example.com/org/app'))).toBe(false);
    expect(trustServerUrl(local, {})).toBe('https://localhost:5000');
    expect(trustServerUrl(local, { DOCKER_CONTENT_TRUST_SERVER: 'https://n:4443' })).toBe('https://n:4443');
    expect(() => trustServerUrl(local, { DOCKER_CONTENT_TRUST_SERVER: 'http://n:4443' })).toThrow(
      'valid https URL required for trust server, got http://n:4443',
    );
  });
});
