import { describe, expect, it } from 'vitest';
import { NotaryError } from '../../src/errors.js';

describe('error model', () => {
  it('maps codes to exit codes', () => {
    expect(new NotaryError('OFFLINE', 'client is offline').exitCode).toBe(4);
  });
});
