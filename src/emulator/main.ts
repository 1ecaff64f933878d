import { readEmulatorSettings } from "../config.js";
import { createEmulator } from "./emulator.js";

/** `npm run emulator`: the Tencent profile REST API on TIM_EMULATOR_PORT (default 5800). */
const settings = readEmulatorSettings();
const emulator = await createEmulator(settings);
const url = await emulator.listen(settings.port, settings.host);
console.log(`Tencent IM REST emulator listening on ${url}`);
console.log(`  sdkappid ${settings.sdkAppId}, admin "${settings.adminIdentifier}"`);
console.log(`  custom tags: ${settings.tags.customSpec() || "(none)"}`);
console.log(`  state: ${settings.dataFile ?? "in memory"}; accounts: ${emulator.store.accounts.size}`);
console.log(`  behaviour: ${JSON.stringify(emulator.behaviour)} (POST ${url}/emulator/config to change)`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void emulator.close().then(() => process.exit(0));
  });
}
