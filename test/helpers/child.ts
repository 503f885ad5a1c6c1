import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

/** Stops a server the test started (SIGTERM, SIGKILL after 3 s) and removes its directory. */
export async function stopChild(child: ChildProcess, dir: string): Promise<void> {
  if (child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
  rmSync(dir, { recursive: true, force: true });
}
