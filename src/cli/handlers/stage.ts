import { open } from 'node:fs/promises';
import { errorMessage, goPathErrorText, NotaryError } from '../../errors.js';
import { type Change, prepareCustom, witnessChange } from '../../repo/changelist.js';
import { hashFile } from '../../repo/file-hash.js';
import { validateGun } from '../../repo/gun.js';
import { checkWitnessRoles, stagingRoles } from '../../tuf/roles.js';
import type { CommandContext, FlagValues } from '../context.js';
import { parseInt64, StrconvError } from '../go-strconv.js';
import { wantsJson, writeJson } from '../output-json.js';
import { renderTable } from '../tabwriter.js';
import { cliRepository } from '../wiring-repo.js';
import { changelistFor, maybePublish, stringFlag, stringsFlag, usageError } from './common.js';

// ---- small helpers ----

/** A file error worded like Go's *PathError (`open x: no such file or directory`). */
function fileError(op: 'open' | 'read', path: string, e: unknown, hint?: string): NotaryError {
  const code = (e as NodeJS.ErrnoException).code;
  return new NotaryError(code === 'ENOENT' ? 'NOT_FOUND' : 'IO', goPathErrorText(path, e, op), {
    cause: e,
    hint,
    exitCode: 1,
  });
}

async function readSmallFile(path: string, what: string): Promise<Buffer> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'r');
  } catch (e) {
    throw fileError('open', path, e, `Check the path of the ${what}.`);
  }
  try {
    return await handle.readFile();
  } catch (e) {
    throw fileError('read', path, e, `Check the path of the ${what}.`);
  } finally {
    await handle.close();
  }
}

/** The roles a target change goes to: `targets` by default, each checked (Go's addChange). */
function targetRoles(flags: FlagValues): string[] {
  return stagingRoles(stringsFlag(flags, 'roles'));
}

/** Reads the `--custom` file (Go opens it before anything else is checked). */
async function readCustomFlag(flags: FlagValues): Promise<{ path: string; bytes: Buffer } | undefined> {
  const path = stringFlag(flags, 'custom');
  if (path === '') return undefined;
  return { path, bytes: await readSmallFile(path, 'custom data file') };
}

/** Validates and compacts the custom JSON (Go fails on it only when it marshals the change). */
function prepareCustomFlag(custom: { path: string; bytes: Buffer } | undefined): Buffer | undefined {
  return custom === undefined
    ? undefined
    : prepareCustom(custom.bytes, `The custom data file ${custom.path}`);
}

/** Go's strconv.ParseInt(s, 0, 64) (`addhash` SIZE), failing with Go's text as INVALID_INPUT. */
export function goParseInt(s: string): bigint {
  try {
    return parseInt64(s);
  } catch (e) {
    if (e instanceof StrconvError) throw new NotaryError('INVALID_INPUT', e.message);
    throw e;
  }
}

/** %#U of a byte value as Go prints it in hex.InvalidByteError. */
function goRuneU(b: number): string {
  const u = `U+${b.toString(16).toUpperCase().padStart(4, '0')}`;
  const printable = (b >= 0x20 && b < 0x7f) || (b >= 0xa1 && b !== 0xad);
  return printable ? `${u} '${String.fromCodePoint(b)}'` : u;
}

/** Go's getTargetHashes for one flag: length check, then hex.DecodeString. */
function decodeHashFlag(value: string, alg: 'sha256' | 'sha512', hexLen: number): Buffer {
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length !== hexLen) {
    throw new NotaryError('INVALID_INPUT', `invalid ${alg} hex contents provided`, {
      hint: `--${alg} takes exactly ${hexLen} hexadecimal characters.`,
    });
  }
  for (const b of bytes) {
    if (!((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66))) {
      throw new NotaryError('INVALID_INPUT', `encoding/hex: invalid byte: ${goRuneU(b)}`, {
        hint: `--${alg} takes exactly ${hexLen} hexadecimal characters.`,
      });
    }
  }
  return Buffer.from(value, 'hex');
}

// ---- handlers ----

/** `add GUN TARGET FILE [-r ROLE...] [--custom FILE] [-p]` */
export async function add(ctx: CommandContext, args: string[], flags: FlagValues): Promise<void> {
  if (args.length < 3) throw usageError('Must specify a GUN, target, and path to target data');
  const [gun, targetName, targetPath] = args as [string, string, string];
  validateGun(gun);
  const customFile = await readCustomFlag(flags);
  const meta = await hashFile(targetPath, { open: 'Check the path of the file to add.' });
  const custom = prepareCustomFlag(customFile);
  const roles = targetRoles(flags);
  await (await cliRepository(ctx, gun)).stageTarget(targetName, meta, { roles, custom });
  ctx.stdout.write(`Addition of target "${targetName}" to repository "${gun}" staged for next publish.\n`);
  await maybePublish(ctx, flags, gun);
}

/** `addhash GUN TARGET SIZE --sha256 HEX --sha512 HEX [-r ROLE...] [--custom FILE] [-p]` */
export async function addhash(ctx: CommandContext, args: string[], flags: FlagValues): Promise<void> {
  const sha256 = stringFlag(flags, 'sha256');
  const sha512 = stringFlag(flags, 'sha512');
  if (args.length < 3 || (sha256 === '' && sha512 === '')) {
    throw usageError('Must specify a GUN, target, byte size of target data, and at least one hash');
  }
  const [gun, targetName, sizeText] = args as [string, string, string];
  validateGun(gun);
  const customFile = await readCustomFlag(flags);
  const size = goParseInt(sizeText);
  if (size < 0n) {
    throw new NotaryError(
      'INVALID_INPUT',
      `invalid byte size ${sizeText}: a target cannot have a negative size`,
    );
  }
  if (size > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new NotaryError(
      'INVALID_INPUT',
      `invalid byte size ${sizeText}: larger than ${Number.MAX_SAFE_INTEGER}`,
    );
  }
  const hashes: Record<string, Buffer> = {};
  if (sha256 !== '') hashes['sha256'] = decodeHashFlag(sha256, 'sha256', 64);
  if (sha512 !== '') hashes['sha512'] = decodeHashFlag(sha512, 'sha512', 128);
  const custom = prepareCustomFlag(customFile);
  const roles = targetRoles(flags);
  await (await cliRepository(ctx, gun)).stageTarget(
    targetName,
    { length: Number(size), hashes },
    { roles, custom },
  );
  ctx.stdout.write(
    `Addition of target "${targetName}" by ${Object.keys(hashes).join(', ')} hash to repository "${gun}" staged for next publish.\n`,
  );
  await maybePublish(ctx, flags, gun);
}

/** `remove GUN TARGET [-r ROLE...] [-p]` — Go prints no usage for a missing argument here. */
export async function remove(ctx: CommandContext, args: string[], flags: FlagValues): Promise<void> {
  if (args.length < 2) throw usageError('Must specify a GUN and target', false);
  const [gun, targetName] = args as [string, string];
  validateGun(gun);
  const roles = targetRoles(flags);
  await (await cliRepository(ctx, gun)).removeTarget(targetName, { roles });
  ctx.stdout.write(`Removal of ${targetName} from ${gun} staged for next publish.\n`);
  await maybePublish(ctx, flags, gun);
}

/** `status GUN` */
export async function status(ctx: CommandContext, args: string[], _flags: FlagValues): Promise<void> {
  if (args.length < 1) throw usageError('Must specify a GUN');
  const gun = validateGun(args[0]!);
  const changes = await (await cliRepository(ctx, gun)).listChanges();
  if (wantsJson(ctx)) {
    writeJson(ctx, { gun, changes });
    return;
  }
  if (changes.length === 0) {
    ctx.stdout.write(`No unpublished changes for ${gun}\n`);
    return;
  }
  // Numbers are the positions `reset -n` uses; they equal Go's 0..n-1 unless an unreadable
  // change file is still in the directory (then Go's status numbering and its reset disagree).
  const rows = changes.map((c) => [String(c.index), c.action, c.scope, c.type, c.path]);
  ctx.stdout.write(`Unpublished changes for ${gun}:\n\n`);
  ctx.stdout.write(renderTable(['#', 'ACTION', 'SCOPE', 'TYPE', 'PATH'], rows));
}

function numbersFlag(flags: FlagValues): number[] {
  const v = flags['number'];
  if (v === undefined || typeof v === 'boolean') return [];
  const items = Array.isArray(v) ? v : [v];
  const out: number[] = [];
  for (const item of items) {
    for (const part of String(item).split(',')) {
      if (part === '') continue;
      if (!/^[+-]?\d+$/.test(part)) {
        throw new NotaryError(
          'USAGE',
          `invalid argument ${JSON.stringify(String(item))} for "-n, --number" flag: strconv.Atoi: parsing ${JSON.stringify(part)}: invalid syntax`,
        );
      }
      out.push(Number(part));
    }
  }
  return out;
}

/** `reset GUN (--all | -n N[,N...])` */
export async function reset(ctx: CommandContext, args: string[], flags: FlagValues): Promise<void> {
  if (args.length < 1) throw usageError('Must specify a GUN');
  const all = flags['all'] === true;
  const numbers = numbersFlag(flags);
  if (!all && numbers.length < 1) throw usageError('Must specify changes to reset with -n or the --all flag');
  const gun = validateGun(args[0]!);
  await (await cliRepository(ctx, gun)).resetChanges(all ? undefined : numbers);
  ctx.stdout.write(`Successfully reset specified changes for repository ${gun}\n`);
}

/** `witness GUN ROLE... [-p]` */
export async function witness(ctx: CommandContext, args: string[], flags: FlagValues): Promise<void> {
  if (args.length < 2) throw usageError('Please provide a GUN and at least one role to witness');
  const gun = validateGun(args[0]!);
  const roles = args.slice(1);
  checkWitnessRoles(roles);
  const cl = await changelistFor(ctx, gun);
  const done: string[] = [];
  let failure: unknown;
  for (const role of roles) {
    try {
      await cl.stage(witnessChange(role) satisfies Change);
      done.push(role);
    } catch (e) {
      failure = e;
      break;
    }
  }
  if (failure !== undefined) {
    ctx.stdout.write(`Some roles have failed to be marked for witnessing: ${errorMessage(failure)}`);
  }
  ctx.stdout.write(
    `The following roles were successfully marked for witnessing on the next publish:\n\t- ${done.join('\n\t- ')}\n`,
  );
  if (failure !== undefined) throw failure;
  await maybePublish(ctx, flags, gun);
}
