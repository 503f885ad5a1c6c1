/**
 * Where a repository's local data lives inside the trust directory (spec on-disk.md §2):
 * `<trust_dir>/tuf/<gun>/metadata/` and `<trust_dir>/tuf/<gun>/changelist/`.
 */
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { NotaryError } from '../errors.js';
import { validateGun } from './gun.js';

export interface RepoPaths {
  /** `<trust_dir>/tuf` */
  tufDir: string;
  /** `<trust_dir>/tuf/<gun>` */
  repoDir: string;
  /** `<trust_dir>/tuf/<gun>/metadata` */
  metadataDir: string;
  /** `<trust_dir>/tuf/<gun>/changelist` */
  changelistDir: string;
}

/** True when `child` is `parent` itself or below it (both resolved). */
export function isInside(parent: string, child: string): boolean {
  const rel = relative(resolve(parent), resolve(child));
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/**
 * Paths of one repository. Validates the GUN, then checks the result really lies below
 * `<trust_dir>/tuf/` (defence in depth: the GUN rules already exclude every escape).
 */
export function repoPaths(trustDir: string, gun: string): RepoPaths {
  validateGun(gun);
  const tufDir = resolve(trustDir, 'tuf');
  const repoDir = resolve(tufDir, ...gun.split('/'));
  if (repoDir === tufDir || !isInside(tufDir, repoDir)) {
    throw new NotaryError(
      'INVALID_GUN',
      `invalid GUN ${JSON.stringify(gun)}: it leaves the trust directory`,
      {
        details: { gun },
      },
    );
  }
  return {
    tufDir,
    repoDir,
    metadataDir: join(repoDir, 'metadata'),
    changelistDir: join(repoDir, 'changelist'),
  };
}
