/** `key` command group. */
import type { CliCommandSpec } from '../help.js';
import { lazyHandler } from './lazy.js';

const KEY = () => import('../handlers/key.js');

export const keyCommand: CliCommandSpec = {
  name: 'key',
  short: 'Operates on keys.',
  long: 'Operations on private keys.',
  subcommands: [
    {
      name: 'list',
      short: 'Lists keys.',
      long: 'Lists all keys known to notary.',
      run: lazyHandler(() => import('../handlers/key-list.js'), 'keyList'),
    },
    {
      name: 'generate',
      use: '[ algorithm ]',
      short: 'Generates a new key with a given algorithm.',
      long: 'Generates a new key with a given algorithm. If hardware key storage (e.g. a Yubikey) is available, generated root keys will be stored both on hardware and on disk (so that it can be backed up).  Please make sure to back up and then remove this on-key disk immediatelyafterwards. If a `--output` file name is provided, two files will be written, <output>.pem and <output>-key.pem, containing the publicand private keys respectively (the key will not be stored in Notary\'s key storage, including any connected hardware storage). If no `--role` is provided, "root" will be assumed.',
      flags: [
        { name: 'output', short: 'o', type: 'string', usage: 'Filepath to write export output to' },
        {
          name: 'role',
          short: 'r',
          type: 'string',
          usage: 'Role to generate key with, defaulting to "root".',
          default: 'root',
        },
      ],
      run: lazyHandler(KEY, 'keyGenerate'),
    },
    {
      name: 'remove',
      use: '[ keyID ]',
      short: 'Removes the key with the given keyID.',
      long: 'Removes the key with the given keyID.  If the key is stored in more than one location, you will be asked which one to remove.',
      run: lazyHandler(KEY, 'keyRemove'),
    },
    {
      name: 'passwd',
      use: '[ keyID ]',
      short: 'Changes the passphrase for the key with the given keyID.',
      long: 'Changes the passphrase for the key with the given keyID.  Will require validation of the old passphrase.',
      run: lazyHandler(KEY, 'keyPasswd'),
    },
    {
      name: 'rotate',
      use: '[ GUN ] [ key role ]',
      short: 'Rotate a signing (non-root) key of the given type for the given Globally Unique Name and role.',
      long: 'Generates a new key for the given Globally Unique Name and role (one of "snapshot", "targets", "root", or "timestamp").  If rotating to a server-managed key, a new key is requested from the server rather than generated.  If the generation or key request is successful, the key rotation is immediately published.  No other changes, even if they are staged, will be published.',
      flags: [
        {
          name: 'key',
          short: 'k',
          type: 'strings',
          usage: 'New key(s) to rotate to. If not specified, one will be generated.',
        },
        {
          name: 'legacy',
          short: 'l',
          type: 'int',
          usage: "Number of old version's root roles to sign with to support old clients",
        },
        {
          name: 'server-managed',
          short: 'r',
          type: 'bool',
          usage:
            'Signing and key management will be handled by the remote server (no key will be generated or stored locally). Required for timestamp role, optional for snapshot role',
        },
      ],
      run: lazyHandler(KEY, 'keyRotate'),
    },
    {
      name: 'import',
      use: 'pemfile [ pemfile ... ]',
      short: 'Imports all keys from all provided .pem files',
      long: 'Imports all keys from all provided .pem files by reading each PEM block from the file and writing that block to a unique object in the local keystore. A Yubikey will be the preferred import location for root keys if present.',
      flags: [
        {
          name: 'gun',
          short: 'g',
          type: 'string',
          usage: 'Gun to import key with, if a gun is not already given in a PEM header',
        },
        {
          name: 'role',
          short: 'r',
          type: 'string',
          usage: 'Role to import key with, if a role is not already given in a PEM header',
        },
      ],
      run: lazyHandler(KEY, 'keyImport'),
    },
    {
      name: 'export',
      short: 'Exports all keys from all local keystores. Can be filtered using the --key and --gun flags.',
      long: 'Exports all keys from all local keystores. Which keys are exported can be restricted by using the --key or --gun flags. By default the result is sent to stdout, it can be directed to a file with the -o flag. Keys stored in a Yubikey cannot be exported.',
      flags: [
        { name: 'gun', type: 'strings', usage: 'GUNs for which to export keys' },
        { name: 'key', type: 'strings', usage: 'Key IDs to export' },
        { name: 'output', short: 'o', type: 'string', usage: 'Filepath to write export output to' },
      ],
      run: lazyHandler(KEY, 'keyExport'),
    },
  ],
};
