// ESLint's and typescript-eslint's recommended rules, type-aware over src and test (floating and
// misused promises matter most in a service). Formatting is Prettier's job (eslint-config-prettier).
import js from "@eslint/js";
import prettier from "eslint-config-prettier";
import { defineConfig } from "eslint/config";
import tseslint from "typescript-eslint";

export default defineConfig(
  { ignores: ["dist/", "test/__generated__/", "test-results/"] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // `async` without `await` is how Apollo plugin hooks, Fastify handlers and the async
      // interfaces (ProfileCache, close()) are implemented: it turns a throw into a rejection.
      "@typescript-eslint/require-await": "off",
      // Promise.all over a mix of ready values and promises (cache hits beside queued reads) is intended.
      "@typescript-eslint/await-thenable": ["error", { allowMixedPromiseArrays: true }],
      // As only-throw-error does by default: an `any`/`unknown` reason (AbortSignal.reason) passes through.
      "@typescript-eslint/prefer-promise-reject-errors": [
        "error",
        { allowThrowingAny: true, allowThrowingUnknown: true },
      ],
      // `const { http: _http, ...rest } = x` is how a field is dropped from a copy.
      "@typescript-eslint/no-unused-vars": ["error", { ignoreRestSiblings: true }],
    },
  },
  {
    files: ["test/**/*.ts"],
    rules: {
      // Vitest's asymmetric matchers (expect.any, expect.stringMatching, …) are typed `any`.
      "@typescript-eslint/no-unsafe-assignment": "off",
    },
  },
  // Root config files and the codegen transform are outside tsconfig.json: linted without types.
  {
    files: ["*.js", "*.cjs", "*.ts", "**/*.mjs"],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: { module: "writable" } },
  },
  prettier,
);
