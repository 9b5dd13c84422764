// Lint rules, including the portability boundary: services reach Dapr only
// through the kit's ports, and domain files stay pure.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", ".dapr/", "services/*/.dapr/", "deploy/docker/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "no-restricted-syntax": [
        "error",
        { selector: "TSEnumDeclaration", message: "Enums are not erasable syntax: use a const object or a union." },
        { selector: "TSParameterProperty", message: "Parameter properties are not erasable syntax." },
      ],
    },
  },
  {
    files: ["services/**/*.ts"],
    ignores: ["services/kit/dapr/http.ts"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [{ group: ["@dapr/dapr"], message: "Services reach Dapr through the kit's ports (services/kit/dapr/ports.ts)." }] }],
    },
  },
  {
    files: ["services/*/domain.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [{ group: ["koa", "@koa/*", "@dapr/*", "node:*", "**/kit/dapr/*", "**/kit/app.ts"], message: "domain.ts is pure: no I/O, no Dapr, no Koa." }] },
      ],
    },
  },
  {
    files: ["services/**/*.ts"],
    ignores: ["services/kit/runtime.ts"],
    rules: {
      "no-restricted-globals": ["error", { name: "Deno", message: "Runtime detection lives in services/kit/runtime.ts." }],
    },
  },
  {
    files: ["deploy/**/*.mjs"],
    languageOptions: { globals: { process: "readonly", console: "readonly" } },
  },
);
