import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from './cli.js';

const execFileP = promisify(execFile);

export interface PackResult {
  /** tsnotary-<version>.tgz */
  tarball: string;
  /** Tarballs of the runtime dependencies, made from node_modules (served by the local registry). */
  dependencies: string[];
  /** API Extractor in check mode: ok false when the public surface differs from api/tsnotary.api.md. */
  apiReport: { ok: boolean; output: string };
}

async function npmPack(dir: string, dest: string): Promise<string> {
  const { stdout } = await execFileP(
    'npm',
    ['pack', '--ignore-scripts', '--json', '--pack-destination', dest],
    {
      cwd: dir,
      maxBuffer: 16 << 20,
    },
  );
  const info = JSON.parse(stdout) as { filename: string }[];
  return join(dest, (info[0] as { filename: string }).filename);
}

/**
 * Packs the project as `npm pack` would publish it, from the bundle `npm test` built: the
 * rolled-up .d.ts is made first (tsc declarations + API Extractor, which also checks the API
 * report without changing it), then `npm pack --ignore-scripts` (the prepack script would
 * rebuild the bundle under tests that are running it).
 */
export async function packProject(dest: string): Promise<PackResult> {
  if (!existsSync(join(projectRoot, 'dist', 'bundle', 'index.js'))) {
    throw new Error('dist/bundle is missing: run `npm run build` first');
  }
  await execFileP(
    process.execPath,
    [join(projectRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.types.json'],
    {
      cwd: projectRoot,
    },
  );
  let apiReport: PackResult['apiReport'];
  try {
    const { stdout, stderr } = await execFileP(
      process.execPath,
      [join(projectRoot, 'node_modules', '@microsoft', 'api-extractor', 'bin', 'api-extractor'), 'run'],
      { cwd: projectRoot, maxBuffer: 16 << 20 },
    );
    apiReport = { ok: true, output: stdout + stderr };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    apiReport = { ok: false, output: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
  const tarball = await npmPack(projectRoot, dest);
  const dependencies = [
    await npmPack(join(projectRoot, 'node_modules', 'undici'), dest),
    await npmPack(join(projectRoot, 'node_modules', 'pkcs11js'), dest),
  ];
  return { tarball, dependencies, apiReport };
}

/** Files in a tarball, without the leading `package/`. */
export async function tarballFiles(tarball: string): Promise<string[]> {
  const { stdout } = await execFileP('tar', ['-tzf', tarball], { maxBuffer: 16 << 20 });
  return stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.replace(/^package\//, ''));
}

/** Names of the exports listed in the API report. */
export function reportedExports(report: string): string[] {
  const names = new Set<string>();
  for (const m of report.matchAll(
    /^export (?:declare )?(?:class|interface|type|function|const|enum) ([A-Za-z0-9_]+)/gm,
  )) {
    names.add(m[1] as string);
  }
  return [...names].sort();
}

export function listDir(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir) : [];
}
