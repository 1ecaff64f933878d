/** The bench's Redis: whether it answers, and deleting every key under the bench's own prefix afterwards. */
import { createClient } from "redis";
import { redisAnswers } from "../support/redis-ping.js";

const connect = (url: string) => {
  const client = createClient({ url, socket: { connectTimeout: 1000, reconnectStrategy: false } });
  client.on("error", () => {});
  return client;
};

export async function redisReachable(url: string): Promise<boolean> {
  return url !== "none" && (await redisAnswers(url));
}

/** Delete every key under `prefix`; returns how many are left (0 expected). */
export async function cleanRedis(url: string, prefix: string): Promise<number> {
  const client = connect(url);
  await client.connect();
  try {
    const scan = async () => {
      const keys: string[] = [];
      for await (const batch of client.scanIterator({ MATCH: `${prefix.replace(/[*?[\]\\]/g, "\\$&")}*`, COUNT: 500 }))
        keys.push(...batch);
      return keys;
    };
    const keys = await scan();
    if (keys.length) await client.del(keys);
    return (await scan()).length;
  } finally {
    client.destroy();
  }
}
