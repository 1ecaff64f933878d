/** Tencent Cloud Chat REST API hosts per region (docs/tencent-contract.md, "Region hosts"): primary first, then backup. */
export const REGION_HOSTS = {
  china: ["console.tim.qq.com", "adminapi.my-imcloud.com"],
  singapore: ["adminapisgp.im.qcloud.com", "adminapisgp.my-imcloud.com"],
  seoul: ["adminapikr.im.qcloud.com", "adminapikr.my-imcloud.com"],
  frankfurt: ["adminapiger.im.qcloud.com", "adminapiger.my-imcloud.com"],
  "silicon-valley": ["adminapiusa.im.qcloud.com", "adminapiusa.my-imcloud.com"],
  jakarta: ["adminapiidn.im.qcloud.com", "adminapiidn.my-imcloud.com"],
  mumbai: ["adminapiind.im.qcloud.com", "adminapiind.my-imcloud.com"],
  tokyo: ["adminapijpn.im.qcloud.com", "adminapijpn.my-imcloud.com"],
} as const satisfies Record<string, readonly [string, string]>;

export type Region = keyof typeof REGION_HOSTS;

export const REGIONS = Object.keys(REGION_HOSTS) as Region[];

export function isRegion(value: string): value is Region {
  return Object.hasOwn(REGION_HOSTS, value);
}

/**
 * The bases a client tries, in order: `baseUrl` alone when given (its path kept, so a proxy may
 * mount the API under a prefix), else the region's hosts. No trailing slash.
 */
export function upstreamOrigins(region: Region, baseUrl?: string): string[] {
  if (baseUrl !== undefined) {
    const url = new URL(baseUrl);
    return [`${url.origin}${url.pathname.replace(/\/+$/, "")}`];
  }
  return REGION_HOSTS[region].map((host) => `https://${host}`);
}
