import { describe, expect, test } from 'vitest';
import { multipartBody, orderedRoles } from '../../../src/remote/multipart.js';

describe('multipart publish body (Go mime/multipart layout, server-api.md §2)', () => {
  test('exact bytes for two parts', () => {
    const b = 'ab'.repeat(30);
    const { contentType, body } = multipartBody(
      new Map([
        ['snapshot', Buffer.from('{"s":1}')],
        ['targets', Buffer.from('{"t":1}')],
      ]),
      b,
    );
    expect(contentType).toBe(`multipart/form-data; boundary=${b}`);
    expect(body.toString('utf8')).toBe(
      `--${b}\r\nContent-Disposition: form-data; name="files"; filename="targets"\r\nContent-Type: application/octet-stream\r\n\r\n{"t":1}` +
        `\r\n--${b}\r\nContent-Disposition: form-data; name="files"; filename="snapshot"\r\nContent-Type: application/octet-stream\r\n\r\n{"s":1}` +
        `\r\n--${b}--\r\n`,
    );
  });

  test('random boundary is 60 lowercase hex characters', () => {
    const { contentType } = multipartBody(new Map([['root', Buffer.from('x')]]));
    expect(contentType).toMatch(/^multipart\/form-data; boundary=[0-9a-f]{60}$/);
  });

  test('bytes are passed through untouched (binary-safe)', () => {
    const data = Buffer.from([0, 255, 13, 10, 45, 45]);
    const { body } = multipartBody(new Map([['root', data]]), 'x'.repeat(60));
    expect(body.includes(data)).toBe(true);
  });

  test('deterministic part order: root, targets, delegations by name, snapshot, timestamp', () => {
    expect(orderedRoles(['snapshot', 'targets/b', 'timestamp', 'targets', 'targets/a', 'root'])).toEqual([
      'root',
      'targets',
      'targets/a',
      'targets/b',
      'snapshot',
      'timestamp',
    ]);
  });

  test('empty set: only the closing delimiter, as Go writes it', () => {
    expect(multipartBody(new Map(), 'c'.repeat(60)).body.toString()).toBe(`\r\n--${'c'.repeat(60)}--\r\n`);
  });

  test('quotes and backslashes in role names are escaped like Go', () => {
    const { body } = multipartBody(new Map([['targets/a"b\\c', Buffer.from('x')]]), 'd'.repeat(60));
    expect(body.toString()).toContain('filename="targets/a\\"b\\\\c"');
  });
});
