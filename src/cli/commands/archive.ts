/**
 * Beyond Go (issue 12): `archive` and `rehost`, for trust data that outlives its server. Hidden
 * from the root command list so that `tsnotary --help` stays Go's text; `tsnotary archive
 * --help` and `tsnotary rehost --help` show their own help (docs/cli.md).
 */
import type { CliCommandSpec } from '../help.js';
import { lazyHandler } from './lazy.js';

const ARCHIVE = () => import('../handlers/archive.js');
const REHOST = () => import('../handlers/rehost.js');

export const archiveCommands: CliCommandSpec[] = [
  {
    name: 'archive',
    hidden: true,
    use: '[ GUN ]',
    short: 'Saves everything the trust server holds for a GUN to a tar file.',
    long: "Saves everything the trust server holds for the Globally Unique Name, verified as list verifies it, to a tar file in the server's own URL layout (v2/<GUN>/_trust/tuf/...) with a manifest.json. Read it back with -s file:///path/FILE.tar, serve it extracted from any static web server, or move it with rehost. This is an online operation.",
    flags: [{ name: 'output', short: 'o', type: 'string', usage: 'The tar file to write (required)' }],
    run: lazyHandler(ARCHIVE, 'archive'),
  },
  {
    name: 'rehost',
    hidden: true,
    use: '[ GUN ]',
    short: "Moves a GUN to another notary server without breaking anyone's trust.",
    long: "Moves the Globally Unique Name from the server given with -s (a live server or an archive) to the notary server given with --to: same targets, delegations and signatures, with new root versions signed by the current root key(s) that trust the new server's timestamp key. Clients that trusted the GUN follow it with only -s changed. Needs the root key. Shows the plan only, unless --yes is given.",
    flags: [
      { name: 'to', type: 'string', usage: 'URL of the notary server to move the GUN to (required)' },
      { name: 'yes', short: 'y', type: 'bool', usage: 'Apply the plan (default: only show it)' },
    ],
    run: lazyHandler(REHOST, 'rehost'),
  },
];
