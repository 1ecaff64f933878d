/**
 * Import rules (`npm run check:imports`): the folders follow the data path and imports point one
 * way, server → graphql → profile → upstream → tencent, with redis and config/defaults beneath
 * them all and the emulator beside them. `npm run imports:graph` draws the folder graph into
 * docs/architecture.md.
 */
const below = {
  tencent: ["^src/tencent/", "^src/config/defaults\\.ts$", "^src/util/"],
  redis: ["^src/redis/", "^src/config/defaults\\.ts$", "^src/util/"],
};
below.upstream = ["^src/upstream/", ...below.tencent, ...below.redis];
below.profile = ["^src/profile/", ...below.upstream];

/** A rule: files under `from` may import only `allowed` (and npm packages). */
const only = (layer, from, allowed, comment) => ({
  name: `${layer}-imports-only-below`,
  comment,
  severity: "error",
  from: { path: from },
  to: { path: "^src/", pathNot: allowed },
});

module.exports = {
  forbidden: [
    only(
      "util",
      "^src/util/",
      ["^src/util/"],
      "Small helpers every layer may use; they import nothing of the service.",
    ),
    { name: "no-circular", severity: "error", from: {}, to: { circular: true } },
    only("tencent", "^src/tencent/", below.tencent, "The wire knows nothing of policy, profiles or GraphQL."),
    only("redis", "^src/redis/", below.redis, "Redis helpers serve every layer above them."),
    only("upstream", "^src/upstream/", below.upstream, "The call policy sits on the wire, never above it."),
    only("profile", "^src/profile/", below.profile, "The domain sits on the upstream, never on GraphQL or HTTP."),
    {
      name: "no-graphql-below-graphql",
      comment: "Nothing under src/profile, src/upstream, src/tencent or src/redis imports GraphQL.",
      severity: "error",
      from: { path: "^src/(profile|upstream|tencent|redis)/" },
      to: { path: "node_modules/(graphql|type-graphql|@apollo|graphql-scalars)/" },
    },
    {
      name: "emulator-shares-only-tags-usersig-json",
      comment: "The emulator shares the tag registry, UserSig and lossless JSON with the service, and nothing else.",
      severity: "error",
      from: { path: "^src/emulator/" },
      to: {
        path: "^src/",
        pathNot: [
          "^src/emulator/",
          "^src/profile/tags\\.ts$",
          "^src/profile/userid\\.ts$",
          "^src/tencent/(usersig|json)\\.ts$",
          "^src/config",
          "^src/util/",
        ],
      },
    },
    {
      name: "nothing-imports-the-emulator",
      comment: "Only the process entry points start an emulator; config reads its settings' parsers.",
      severity: "error",
      from: { path: "^src/", pathNot: ["^src/emulator/", "^src/main\\.ts$", "^src/config/emulator\\.ts$"] },
      to: { path: "^src/emulator/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsConfig: { fileName: "tsconfig.json" },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: [".ts", ".js"] },
  },
};
