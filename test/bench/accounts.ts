/**
 * The bench's accounts and the emulator state file that holds them. Every account's nick is
 * `nick-<id>`, so every answer can be checked without asking anyone.
 */
import { writeFile } from "node:fs/promises";

export const NICK_TAG = "Tag_Profile_IM_Nick";

export const accountId = (i: number): string => `bench-${i}`;
export const nickOf = (id: string): string => `nick-${id}`;

/**
 * Write a state file in the emulator's own format (`AccountStore`: `{version, seq, accounts}`)
 * with `count` accounts and the app admin, whom the service's readiness check reads.
 */
export async function writeEmulatorState(file: string, count: number, admin: string): Promise<void> {
  const accounts: Record<string, { seq: number; profile: Record<string, string> }> = {};
  const ids = [admin, ...Array.from({ length: count }, (_, i) => accountId(i))];
  ids.forEach((id, i) => (accounts[id] = { seq: i + 1, profile: { [NICK_TAG]: nickOf(id) } }));
  await writeFile(file, JSON.stringify({ version: 1, seq: ids.length, accounts }));
}
