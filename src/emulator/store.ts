import { mkdir, open, readFile, rename } from "node:fs/promises";
import { dirname, basename, join } from "node:path";
import { parseJson, stringifyJson } from "../tencent/json.js";
import type { TagValue } from "../profile/tags.js";

export interface AccountRecord {
  /** Tag → value; a tag never set is absent. */
  profile: Map<string, TagValue>;
  /**
   * This account's legacy `StandardSequence`: 0 for an account never written, +1 with every write
   * of it (and with its deletion), never with another account's.
   */
  seq: number;
}

interface StateFile {
  accounts?: Record<string, { seq: number; profile: Record<string, TagValue> }>;
  /** Deregistered accounts and their last sequence. */
  deleted?: Record<string, number>;
}

/**
 * The emulator's accounts, in memory, optionally mirrored to a JSON file. A write goes to a
 * temporary file that is fsynced and then renamed over the old one, so a crash mid-write leaves
 * either the old state or the new, never a torn file.
 */
export class AccountStore {
  /** The live accounts: imported and not deleted since. */
  readonly accounts = new Map<string, AccountRecord>();
  /** Deregistered accounts (`account_delete`), with their last sequence. */
  readonly #deleted = new Map<string, number>();
  #inFlight: Promise<void> | undefined;
  #queued: Promise<void> | undefined;

  constructor(readonly file?: string) {}

  /** Load the file if there is one; false when it does not exist yet. */
  async load(): Promise<boolean> {
    if (!this.file) return false;
    let text: string;
    try {
      text = await readFile(this.file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
      throw error;
    }
    // Files written before sequences were per account carry a global `seq`; it is not needed.
    const doc = parseJson(text) as StateFile;
    this.accounts.clear();
    this.#deleted.clear();
    for (const [id, rec] of Object.entries(doc.accounts ?? {})) {
      this.accounts.set(id, { seq: rec.seq, profile: new Map(Object.entries(rec.profile)) });
    }
    for (const [id, seq] of Object.entries(doc.deleted ?? {})) this.#deleted.set(id, seq);
    return true;
  }

  /** A live account's record; undefined for one never imported or deleted. */
  get(id: string): AccountRecord | undefined {
    return this.accounts.get(id);
  }

  /** True for an account that was imported and then deregistered (`account_delete`). */
  isDeleted(id: string): boolean {
    return this.#deleted.has(id);
  }

  /**
   * Create the account if needed (an import revives a deleted one, with an empty profile) and
   * apply every item at once; a write of at least one item is one step of its sequence.
   */
  apply(id: string, items: ReadonlyMap<string, TagValue> | Iterable<[string, TagValue]>): AccountRecord {
    let record = this.accounts.get(id);
    if (!record) {
      // A revived account goes on from its last sequence, so a legacy reader never mistakes the
      // new profile for the one it saw before the deletion.
      record = { profile: new Map(), seq: this.#deleted.get(id) ?? 0 };
      this.#deleted.delete(id);
      this.accounts.set(id, record);
    }
    let changed = false;
    for (const [tag, value] of items) {
      record.profile.set(tag, value);
      changed = true;
    }
    if (changed) record.seq++;
    return record;
  }

  /** Deregister a live account: its profile is gone; false when there was no such account. */
  delete(id: string): boolean {
    const record = this.accounts.get(id);
    if (!record) return false;
    this.accounts.delete(id);
    this.#deleted.set(id, record.seq + 1);
    return true;
  }

  /** Persist the current state; concurrent callers share one write that starts after their change. */
  flush(): Promise<void> {
    if (!this.file) return Promise.resolve();
    if (this.#queued) return this.#queued;
    const previous = this.#inFlight ?? Promise.resolve();
    const next = previous
      .catch(() => undefined)
      .then(() => {
        this.#queued = undefined;
        return this.#write();
      });
    this.#queued = next;
    this.#inFlight = next;
    return next;
  }

  async #write(): Promise<void> {
    const file = this.file!;
    const accounts: Record<string, { seq: number; profile: Record<string, TagValue> }> = {};
    for (const [id, rec] of this.accounts) accounts[id] = { seq: rec.seq, profile: Object.fromEntries(rec.profile) };
    const text = stringifyJson({ version: 1, accounts, deleted: Object.fromEntries(this.#deleted) });
    await mkdir(dirname(file), { recursive: true });
    const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
    const handle = await open(tmp, "w");
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
    // Make the rename itself durable (best effort: not every platform can fsync a directory).
    try {
      const dir = await open(dirname(file), "r");
      await dir.sync().finally(() => dir.close());
    } catch {
      /* ignored */
    }
  }
}
