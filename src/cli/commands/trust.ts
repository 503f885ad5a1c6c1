/** `trust` command group: docker CLI 28's `docker trust`, without a Docker daemon. */
import type { CliCommandSpec } from '../help.js';
import { lazyHandler } from './lazy.js';

const INSPECT = () => import('../handlers/trust-inspect.js');
const KEY = () => import('../handlers/trust-key.js');
const SIGNER = () => import('../handlers/trust-signer.js');
const SIGN = () => import('../handlers/trust-sign.js');

export const trustCommand: CliCommandSpec = {
  name: 'trust',
  // Not listed by `tsnotary --help`, which stays Go notary's byte for byte; `trust --help` works.
  hidden: true,
  short: 'Manage trust on Docker images (docker trust)',
  long: 'Manage trust on Docker images, as `docker trust` (Docker CLI 28) did: the same arguments, environment (DOCKER_CONFIG, DOCKER_CONTENT_TRUST_SERVER, DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE, DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE), trust directory and outputs. No Docker daemon is needed: `sign` reads the image digest from the registry.',
  subcommands: [
    {
      name: 'inspect',
      use: 'IMAGE[:TAG] [IMAGE[:TAG]...]',
      short: 'Return low-level information about keys and signatures',
      flags: [{ name: 'pretty', type: 'bool', usage: 'Print the information in a human friendly format' }],
      run: lazyHandler(INSPECT, 'trustInspect'),
    },
    {
      name: 'sign',
      use: 'IMAGE:TAG',
      short: 'Sign an image',
      long: 'Sign an image tag: its manifest digest and size are read from the registry (docker login credentials of DOCKER_CONFIG are used), then the tag is signed into every role this trust directory can sign and published.',
      flags: [
        {
          name: 'local',
          type: 'bool',
          usage: 'Sign the digest the registry holds now, even when the tag is already signed',
        },
      ],
      run: lazyHandler(SIGN, 'trustSign'),
    },
    {
      name: 'revoke',
      use: '[OPTIONS] IMAGE[:TAG]',
      short: 'Remove trust for an image',
      flags: [{ name: 'yes', short: 'y', type: 'bool', usage: 'Do not prompt for confirmation' }],
      run: lazyHandler(SIGN, 'trustRevoke'),
    },
    {
      name: 'key',
      short: 'Manage keys for signing Docker images',
      subcommands: [
        {
          name: 'generate',
          use: 'NAME',
          short: 'Generate and load a signing key-pair',
          flags: [
            {
              name: 'dir',
              type: 'string',
              usage: 'Directory to generate key in, defaults to current directory',
            },
          ],
          run: lazyHandler(KEY, 'trustKeyGenerate'),
        },
        {
          name: 'load',
          use: '[OPTIONS] KEYFILE',
          short: 'Load a private key file for signing',
          flags: [{ name: 'name', type: 'string', usage: 'Name for the loaded key', default: 'signer' }],
          run: lazyHandler(KEY, 'trustKeyLoad'),
        },
      ],
    },
    {
      name: 'signer',
      short: 'Manage entities who can sign Docker images',
      subcommands: [
        {
          name: 'add',
          use: 'OPTIONS NAME REPOSITORY [REPOSITORY...]',
          short: 'Add a signer',
          flags: [{ name: 'key', type: 'strings', usage: "Path to the signer's public key file" }],
          run: lazyHandler(SIGNER, 'trustSignerAdd'),
        },
        {
          name: 'remove',
          use: '[OPTIONS] NAME REPOSITORY [REPOSITORY...]',
          short: 'Remove a signer',
          flags: [
            {
              name: 'force',
              short: 'f',
              type: 'bool',
              usage: 'Do not prompt for confirmation before removing the most recent signer',
            },
          ],
          run: lazyHandler(SIGNER, 'trustSignerRemove'),
        },
      ],
    },
  ],
};
