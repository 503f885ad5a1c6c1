/**
 * Node built-ins loaded on first use, synchronously. A static `import ... from 'node:crypto'`
 * loads Node's whole crypto layer (about twenty internal modules) while the CLI starts, which
 * costs `key list` and every other command that never hashes or signs a measurable share of its
 * start-up (docs/decisions.md, issue 10 round 3). Modules on those paths that need crypto only
 * in some calls (a temp-file name, the host tag) take it from here instead.
 */
export function nodeCrypto(): typeof import('node:crypto') {
  return process.getBuiltinModule('node:crypto');
}

export function nodeOs(): typeof import('node:os') {
  return process.getBuiltinModule('node:os');
}
