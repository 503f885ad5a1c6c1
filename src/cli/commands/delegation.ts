/** `delegation` command group. */
import type { CliCommandSpec } from '../help.js';
import { lazyHandler } from './lazy.js';
import { publishFlag } from './shared-flags.js';

const DELEGATION = () => import('../handlers/delegation.js');

export const delegationCommand: CliCommandSpec = {
  name: 'delegation',
  short: 'Operates on delegations.',
  long: 'Operations on TUF delegations.',
  subcommands: [
    {
      name: 'list',
      use: '[ GUN ]',
      short: 'Lists delegations for the Global Unique Name.',
      long: 'Lists all delegations known to notary for a specific Global Unique Name.',
      run: lazyHandler(DELEGATION, 'delegationList'),
    },
    {
      name: 'add',
      use: '[ GUN ] [ Role ] <X509 file path 1> ...',
      short: 'Add a keys to delegation using the provided public key X509 certificates.',
      long: 'Add a keys to delegation using the provided public key PEM encoded X509 certificates in a specific Global Unique Name.',
      flags: [
        { name: 'all-paths', type: 'bool', usage: 'Add all paths to this delegation' },
        { name: 'paths', type: 'strings', usage: 'List of paths to add' },
        publishFlag,
      ],
      run: lazyHandler(DELEGATION, 'delegationAdd'),
    },
    {
      name: 'remove',
      use: '[ GUN ] [ Role ] <KeyID 1> ...',
      short: 'Remove KeyID(s) from the specified Role delegation.',
      long: 'Remove KeyID(s) from the specified Role delegation in a specific Global Unique Name.',
      flags: [
        { name: 'all-paths', type: 'bool', usage: 'Remove all paths from this delegation' },
        { name: 'paths', type: 'strings', usage: 'List of paths to remove' },
        publishFlag,
        {
          name: 'yes',
          short: 'y',
          type: 'bool',
          usage: 'Answer yes to the removal question (no confirmation)',
        },
      ],
      run: lazyHandler(DELEGATION, 'delegationRemove'),
    },
    {
      name: 'purge',
      use: '[ GUN ]',
      short: 'Remove KeyID(s) from all delegation roles in the given GUN.',
      long: 'Remove KeyID(s) from all delegation roles in the given GUN, for which the signing keys are available. Warnings will be printed for delegations that cannot be updated.',
      flags: [
        { name: 'key', type: 'strings', usage: 'Delegation key IDs to be removed from the GUN' },
        publishFlag,
      ],
      run: lazyHandler(DELEGATION, 'delegationPurge'),
    },
  ],
};
