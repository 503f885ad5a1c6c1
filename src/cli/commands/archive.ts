/** Beyond Go (issue 12): `archive` and `rehost`, for trust data that outlives its server. */
import type { CliCommandSpec } from '../help.js';
import { lazyHandler } from './lazy.js';

const ARCHIVE = () => import('../handlers/archive.js');

export const archiveCommands: CliCommandSpec[] = [
  {
    name: 'archive',
    use: '[ GUN ]',
    short: 'Saves everything the trust server holds for a GUN to a tar file.',
    long: "Saves everything the trust server holds for the Globally Unique Name, verified as list verifies it, to a tar file in the server's own URL layout (v2/<GUN>/_trust/tuf/...) with a manifest.json. Read it back with -s file:///path/FILE.tar, serve it extracted from any static web server, or move it with rehost. This is an online operation.",
    flags: [{ name: 'output', short: 'o', type: 'string', usage: 'The tar file to write (required)' }],
    run: lazyHandler(ARCHIVE, 'archive'),
  },
];
