// A real small file system for disk-full tests (issue 9): a tmpfs of a few MiB mounted on a temp
// directory (mount needs root; CI runs as root, and a failed mount fails the test, never skips).
// `fill()` writes a filler file until the file system refuses (ENOSPC), `free()` deletes it;
// `unmount()` is the teardown.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmdirSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SmallFs {
  readonly dir: string;
  /** Fills the file system, leaving at most `leaveBytes` free (rounded down to 4 KiB pages). */
  fill(leaveBytes?: number): void;
  /** Deletes the filler. */
  free(): void;
  freeBytes(): number;
  unmount(): void;
}

export function mountSmallFs(sizeBytes: number): SmallFs {
  const dir = mkdtempSync(join(tmpdir(), 'kiosk-smallfs-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes}`, 'tmpfs', dir]);
  const filler = join(dir, 'filler.bin');
  const freeBytes = () => {
    const stats = statfsSync(dir);
    return stats.bavail * stats.bsize;
  };
  return {
    dir,
    freeBytes,
    fill(leaveBytes = 0) {
      const fd = openSync(filler, 'a');
      try {
        for (let chunkBytes = 64 * 1024; chunkBytes >= 512; ) {
          if (freeBytes() - chunkBytes < leaveBytes) {
            chunkBytes /= 2;
            continue;
          }
          try {
            writeSync(fd, Buffer.alloc(chunkBytes, 0xa5));
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
            chunkBytes /= 2;
          }
        }
      } finally {
        closeSync(fd);
      }
    },
    free() {
      rmSync(filler, { force: true });
    },
    unmount() {
      execFileSync('umount', ['-l', dir]);
      rmdirSync(dir);
    },
  };
}
