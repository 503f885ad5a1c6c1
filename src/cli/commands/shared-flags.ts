import type { FlagSpec } from '../context.js';

/** `-p/--publish` of every staging command (verbatim usage text from Go). */
export const publishFlag: FlagSpec = {
  name: 'publish',
  short: 'p',
  type: 'bool',
  usage:
    'Automatically attempt to publish after staging the change. Will also publish existing staged changes.',
};

/** The root command's persistent flags, valid on every command. */
export const globalFlags: FlagSpec[] = [
  { name: 'configFile', short: 'c', type: 'string', usage: 'Path to the configuration file to use' },
  { name: 'debug', short: 'D', type: 'bool', usage: 'Debug output' },
  { name: 'server', short: 's', type: 'string', usage: 'Remote trust server location' },
  { name: 'tlscacert', type: 'string', usage: 'Trust certs signed only by this CA' },
  { name: 'tlscert', type: 'string', usage: 'Path to TLS certificate file' },
  { name: 'tlskey', type: 'string', usage: 'Path to TLS key file' },
  { name: 'trustDir', short: 'd', type: 'string', usage: 'Directory where the trust data is persisted to' },
  { name: 'verbose', short: 'v', type: 'bool', usage: 'Verbose output' },
  // Beyond Go: machine-readable output. Long-only and hidden so that help texts stay identical
  // to Go's; `-o`/`--output` are taken by `key export`, `key generate` and `verify`.
  { name: 'format', type: 'string', usage: 'Output format: "table" (default) or "json"', hidden: true },
  // Beyond Go (issue 12): judge trust data as of a past time, read commands only (docs/cli.md).
  { name: 'as-of', type: 'string', usage: 'Judge trust data as of this past time (RFC 3339)', hidden: true },
];
