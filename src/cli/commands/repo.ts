/** Repository commands: init, add, addhash, remove, list, lookup, publish, status, reset, verify, witness, delete. */
import type { CliCommandSpec } from '../help.js';
import { lazyHandler } from './lazy.js';
import { publishFlag } from './shared-flags.js';

const STAGE = () => import('../handlers/stage.js');
const READ = () => import('../handlers/read.js');
const PUBLISH = () => import('../handlers/publish.js');

const rolesFlag = (usage: string) => ({ name: 'roles', short: 'r', type: 'strings' as const, usage });

export const repoCommands: CliCommandSpec[] = [
  {
    name: 'init',
    use: '[ GUN ]',
    short: 'Initializes a local trusted collection.',
    long: 'Initializes a local trusted collection identified by the Globally Unique Name. This is an online operation.',
    flags: [
      publishFlag,
      {
        name: 'rootcert',
        type: 'string',
        usage:
          'Root certificate must match root key if a root key is supplied, otherwise it must match a key present in keystore',
      },
      { name: 'rootkey', type: 'string', usage: 'Root key to initialize the repository with' },
    ],
    run: lazyHandler(PUBLISH, 'init'),
  },
  {
    name: 'add',
    use: '[ GUN ] <target> <file>',
    short: 'Adds the file as a target to the trusted collection.',
    long: 'Adds the file as a target to the local trusted collection identified by the Globally Unique Name. This is an offline operation.  Please then use `publish` to push the changes to the remote trusted collection.',
    flags: [
      { name: 'custom', type: 'string', usage: 'Path to the file containing custom data for this target' },
      publishFlag,
      rolesFlag('Delegation roles to add this target to'),
    ],
    run: lazyHandler(STAGE, 'add'),
  },
  {
    name: 'addhash',
    use: '[ GUN ] <target> <byte size> <hashes>',
    short: 'Adds the byte size and hash(es) as a target to the trusted collection.',
    long: 'Adds the specified byte size and hash(es) as a target to the local trusted collection identified by the Globally Unique Name. This is an offline operation.  Please then use `publish` to push the changes to the remote trusted collection.',
    flags: [
      { name: 'custom', type: 'string', usage: 'Path to the file containing custom data for this target' },
      publishFlag,
      rolesFlag('Delegation roles to add this target to'),
      { name: 'sha256', type: 'string', usage: 'hex encoded sha256 of the target to add' },
      { name: 'sha512', type: 'string', usage: 'hex encoded sha512 of the target to add' },
    ],
    run: lazyHandler(STAGE, 'addhash'),
  },
  {
    name: 'remove',
    use: '[ GUN ] <target>',
    short: 'Removes a target from a trusted collection.',
    long: 'Removes a target from the local trusted collection identified by the Globally Unique Name. This is an offline operation.  Please then use `publish` to push the changes to the remote trusted collection.',
    flags: [publishFlag, rolesFlag('Delegation roles to remove this target from')],
    run: lazyHandler(STAGE, 'remove'),
  },
  {
    name: 'list',
    use: '[ GUN ]',
    short: 'Lists targets for a remote trusted collection.',
    long: 'Lists all targets for a remote trusted collection identified by the Globally Unique Name. This is an online operation.',
    flags: [rolesFlag('Delegation roles to list targets for (will shadow targets role)')],
    run: lazyHandler(READ, 'list'),
  },
  {
    name: 'lookup',
    use: '[ GUN ] <target>',
    short: 'Looks up a specific target in a remote trusted collection.',
    long: 'Looks up a specific target in a remote trusted collection identified by the Globally Unique Name.',
    run: lazyHandler(READ, 'lookup'),
  },
  {
    name: 'publish',
    use: '[ GUN ]',
    short: 'Publishes the local trusted collection.',
    long: 'Publishes the local trusted collection identified by the Globally Unique Name, sending the local changes to a remote trusted server.',
    run: lazyHandler(PUBLISH, 'publish'),
  },
  {
    name: 'status',
    use: '[ GUN ]',
    short: 'Displays status of unpublished changes to the local trusted collection.',
    long: 'Displays status of unpublished changes to the local trusted collection identified by the Globally Unique Name.',
    run: lazyHandler(STAGE, 'status'),
  },
  {
    name: 'reset',
    use: '[ GUN ]',
    short: 'Resets unpublished changes for the local trusted collection.',
    long: 'Resets unpublished changes for the local trusted collection identified by the Globally Unique Name.',
    flags: [
      { name: 'all', type: 'bool', usage: 'Reset all changes shown in the status list' },
      {
        name: 'number',
        short: 'n',
        type: 'ints',
        usage: 'Numbers of specific changes to exclusively reset, as shown in status list',
      },
    ],
    run: lazyHandler(STAGE, 'reset'),
  },
  {
    name: 'verify',
    use: '[ GUN ] <target>',
    short: 'Verifies if the content is included in the remote trusted collection',
    long: 'Verifies if the data passed in STDIN is included in the remote trusted collection identified by the Globally Unique Name.',
    flags: [
      { name: 'input', short: 'i', type: 'string', usage: 'Read from a file, instead of STDIN' },
      { name: 'output', short: 'o', type: 'string', usage: 'Write to a file, instead of STDOUT' },
      { name: 'quiet', short: 'q', type: 'bool', usage: 'No output except for errors' },
    ],
    run: lazyHandler(READ, 'verify'),
  },
  {
    name: 'witness',
    use: '[ GUN ] <role> ...',
    short: "Marks roles to be re-signed the next time they're published",
    long: "Marks roles to be re-signed the next time they're published. Currently will always bump version and expiry for role. N.B. behaviour may change when thresholding is introduced.",
    flags: [publishFlag],
    run: lazyHandler(STAGE, 'witness'),
  },
  {
    name: 'delete',
    use: '[ GUN ]',
    short: 'Deletes all content for a trusted collection',
    long: 'Deletes all local content for a trusted collection identified by the Globally Unique Name. Remote data can also be deleted with an additional flag.',
    flags: [{ name: 'remote', type: 'bool', usage: 'Delete remote data for GUN in addition to local cache' }],
    run: lazyHandler(PUBLISH, 'deleteRepo'),
  },
];
