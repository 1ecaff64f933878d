import { mkdir, open, readFile, rename } from "node:fs/promises";
import { dirname, basename, join } from "node:path";
import { parseJson, stringifyJson } from "../tencent/json.js";
import type { TagValue } from "../profile/tags.js";

export interface AccountRecord {
  /** Tag → value; a tag never set is absent. */
  profile: Map<string, TagValue>;
  /** The legacy `CurrentStandardSequence`: bumped on every change of this profile. */
  seq: number;
}

/**
 * The emulator's accounts, in memory, optionally mirrored to a JSON file. A write goes to a
 * temporary file that is fsynced and then renamed over the old one, so a crash mid-write leaves
 * either the old state or the new, never a torn file.
 */
export class AccountStore {
  readonly accounts = new Map<string, AccountRecord>();
  #seq = 0;
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
    const doc = parseJson(text) as {
      seq?: number;
      accounts?: Record<string, { seq: number; profile: Record<string, TagValue> }>;
    };
    this.accounts.clear();
    for (const [id, rec] of Object.entries(doc.accounts ?? {})) {
      this.accounts.set(id, { seq: rec.seq, profile: new Map(Object.entries(rec.profile)) });
    }
    this.#seq = doc.seq ?? 0;
    return true;
  }

  get(id: string): AccountRecord | undefined {
    return this.accounts.get(id);
  }

  /** Create the account if needed and apply every item at once; returns the record. */
  apply(id: string, items: ReadonlyMap<string, TagValue> | Iterable<[string, TagValue]>): AccountRecord {
    let record = this.accounts.get(id);
    if (!record) {
      record = { profile: new Map(), seq: 0 };
      this.accounts.set(id, record);
    }
    let changed = false;
    for (const [tag, value] of items) {
      record.profile.set(tag, value);
      changed = true;
    }
    if (changed || record.seq === 0) record.seq = ++this.#seq;
    return record;
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
    const text = stringifyJson({ version: 1, seq: this.#seq, accounts });
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
