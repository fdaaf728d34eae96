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
 * sequence number so that they are sent in the order they were made, across restarts. The waiting
 * entries are also kept in memory, in order, so sending never reads the disk.
 */
export class Outbox {
  #seq = 0;
  readonly #dir: string;
  #entries: OutboxEntry[] = [];

  constructor(workDir: string) {
    this.#dir = join(workDir, 'outbox');
  }

  /** Reads what an earlier run left undelivered. */
  async open(): Promise<void> {
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
    const names = (await readdir(this.#dir)).filter((name) => /^\d+\.json$/.test(name)).sort();
    this.#entries = [];
    for (const file of names) {
      this.#seq = Math.max(this.#seq, Number(file.slice(0, -'.json'.length)));
      try {
        const entry = JSON.parse(await readFile(join(this.#dir, file), 'utf8')) as Omit<OutboxEntry, 'file'>;
        this.#entries.push({ ...entry, file });
      } catch (error) {
        if (error instanceof SyntaxError) continue; // a write cut short by a crash: never acknowledged, never sent
        throw error;
      }
    }
  }

  /** Stores a report durably (fsync) before answering. */
  async add(channel: string, body: unknown): Promise<OutboxEntry> {
    this.#seq += 1;
    const file = `${String(this.#seq).padStart(16, '0')}.json`;
    const entry = { id: randomUUID(), channel, body };
    await writeFileAtomic(join(this.#dir, file), JSON.stringify(entry));
    const stored = { ...entry, file };
    this.#entries.push(stored);
    return stored;
  }

  /** Every waiting report, oldest first. */
  entries(): readonly OutboxEntry[] {
    return this.#entries;
  }

  async remove(file: string): Promise<void> {
    this.#entries = this.#entries.filter((entry) => entry.file !== file);
    await unlink(join(this.#dir, file)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
  }
}
