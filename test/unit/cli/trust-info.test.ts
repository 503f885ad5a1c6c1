/** docker's view of a trust repository: natural tag order, "Repo Admin", JSON and tables. */
import { describe, expect, it } from 'vitest';
import {
  inspectJson,
  inspectJsonValue,
  naturalLess,
  prettyTrustInfo,
  type RoleTarget,
  releasedSignatures,
  type TrustInfo,
} from '../../../src/cli/handlers/trust-info.js';

const t = (role: string, name: string, sha256: string): RoleTarget => ({
  role,
  name,
  sha256,
  length: 1,
  hashes: {},
});

describe('trust info', () => {
  it('orders tags naturally (sortorder.NaturalLess)', () => {
    const tags = ['v10', 'v9', 'v1.10', 'v1.9', 'latest', '2', '10', '010'];
    expect([...tags].sort((a, b) => (naturalLess(a, b) ? -1 : naturalLess(b, a) ? 1 : 0))).toEqual([
      '2',
      '10',
      '010',
      'latest',
      'v1.9',
      'v1.10',
      'v9',
      'v10',
    ]);
  });

  it('released tags with their signers; a tag only a signer holds is not released', () => {
    const rows = releasedSignatures([
      t('targets/releases', 'red', 'aa'),
      t('targets/alice', 'red', 'aa'),
      t('targets/bob', 'red', 'aa'),
      t('targets', 'green', 'bb'),
      t('targets/alice', 'blue', 'cc'),
      t('targets/alice', 'red', 'ff'),
    ]);
    expect(rows).toEqual([
      { SignedTag: 'green', Digest: 'bb', Signers: [] },
      { SignedTag: 'red', Digest: 'aa', Signers: ['alice', 'bob'] },
    ]);
  });

  it('renders docker JSON and tables', () => {
    const info: TrustInfo = {
      rows: [
        { SignedTag: 'green', Digest: 'bb', Signers: [] },
        { SignedTag: 'red', Digest: 'aa', Signers: ['bob', 'alice'] },
      ],
      signers: new Map([
        ['bob', ['b'.repeat(64)]],
        ['alice', ['a'.repeat(64), '0'.repeat(64)]],
      ]),
      rootKeyIds: ['r'],
      targetsKeyIds: ['t'],
    };
    expect(prettyTrustInfo('repo', info)).toBe(
      [
        '',
        'Signatures for repo',
        '',
        'SIGNED TAG   DIGEST    SIGNERS',
        'green        bb        (Repo Admin)',
        'red          aa        alice, bob',
        '',
        'List of signers and their keys for repo',
        '',
        'SIGNER    KEYS',
        `alice     ${'0'.repeat(12)}, ${'a'.repeat(12)}`,
        `bob       ${'b'.repeat(12)}`,
        '',
        'Administrative keys for repo',
        '',
        '  Repository Key:\tt',
        '  Root Key:\tr',
        '',
      ].join('\n'),
    );
    const json = inspectJson([inspectJsonValue('a<b', info)]);
    expect(json.startsWith('[\n    {\n        "Name": "a\\u003cb",\n        "SignedTags": [\n')).toBe(true);
    expect(JSON.parse(json)[0].Signers.map((s: { Name: string }) => s.Name)).toEqual(['bob', 'alice']);
    expect(JSON.parse(json)[0].SignedTags[0].Signers).toEqual(['Repo Admin']);
    expect(inspectJson([])).toBe('[]\n');
  });
});
