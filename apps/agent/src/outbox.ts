import { randomUUID } from 'node:crypto';
import { mkdir, readFile, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './work-dir.ts';

export interface OutboxEntry {
  id: string;
  channel: string;
  body: unknown;
  /** The file that holds it. */
  file: string;
}

/**
 * Reports waiting for the server's acknowledgement, one file each in `<work dir>/outbox`, named by a
 * sequence number so that they are sent in the order they were made, across restarts.
 */
export class Outbox {
  #seq = 0;
  readonly #dir: string;

  constructor(workDir: string) {
    this.#dir = join(workDir, 'outbox');
  }

  async open(): Promise<void> {
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
    for (const name of await readdir(this.#dir)) {
      const seq = Number(/^(\d+)\.json$/.exec(name)?.[1] ?? 0);
      if (seq > this.#seq) this.#seq = seq;
    }
  }

  /** Stores a report durably (fsync) before answering. */
  async add(channel: string, body: unknown): Promise<OutboxEntry> {
    this.#seq += 1;
    const file = `${String(this.#seq).padStart(16, '0')}.json`;
    const entry = { id: randomUUID(), channel, body };
    await writeFileAtomic(join(this.#dir, file), JSON.stringify(entry));
    return { ...entry, file };
  }

  /** Every waiting report, oldest first. */
  async entries(): Promise<OutboxEntry[]> {
    const names = (await readdir(this.#dir)).filter((name) => /^\d+\.json$/.test(name)).sort();
    const out: OutboxEntry[] = [];
    for (const file of names) {
      try {
        const entry = JSON.parse(await readFile(join(this.#dir, file), 'utf8')) as Omit<OutboxEntry, 'file'>;
        out.push({ ...entry, file });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    return out;
  }

  async remove(file: string): Promise<void> {
    await unlink(join(this.#dir, file)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
  }
}
