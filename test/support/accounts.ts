import { clientFor } from "./emulator.js";
import type { Service } from "./service.js";

/**
 * `importAccounts` for services whose client is rate-limited: the `n` accounts `${prefix}${i}`
 * (nick `nick-${id}`) are created through a client of their own with no call budget, so seeding
 * draws nothing from the budget under test. The emulator's call log is cleared afterwards.
 */
export async function seedAccounts(service: Service, prefix: string, n: number): Promise<string[]> {
  const ids = Array.from({ length: n }, (_, i) => `${prefix}${i}`);
  const seeder = clientFor(service.emulator.url, { rateLimit: 0 });
  try {
    for (let i = 0; i < ids.length; i += 100) {
      await seeder.call("im_open_login_svc/multiaccount_import", { Accounts: ids.slice(i, i + 100) });
    }
    await Promise.all(ids.map((id) => seeder.portraitSet(id, [{ Tag: "Tag_Profile_IM_Nick", Value: `nick-${id}` }])));
  } finally {
    await seeder.close();
  }
  service.emulator.resetStats();
  return ids;
}
