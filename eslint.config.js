// Lint rules, including the boundaries: services reach Dapr only through the
// kit's ports, never import each other, and domain files stay pure.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

const noDapr = { group: ["@dapr/dapr"], message: "Services reach Dapr through the kit's ports (services/kit/ports/ports.ts)." };
// A service imports only the kit, the contract and its own files: never
// another service (they talk through events and service invocation).
const ownServiceOnly = {
  regex: "^\\.\\./(?!kit/|contracts/)|^\\.\\./\\.\\./",
  message: "A service imports only services/kit/, services/contracts/ and its own files, never another service.",
};
const kitStandsAlone = {
  regex: "^(\\.\\./)+(gateway|order|inventory|payment|tracking|notification|contracts)/",
  message: "The kit knows no service and no contract: services depend on it, not the other way round.",
};
const contractsStandAlone = {
  regex: "^(\\.\\./)+(gateway|order|inventory|payment|tracking|notification)/",
  message: "The contract is what services share: it imports no service.",
};
const pureDomain = {
  group: ["koa", "@koa/*", "@dapr/*", "node:*", "**/kit/dapr/*", "**/kit/http/*", "**/kit/events/*", "**/kit/coordination/*"],
  message: "domain.ts is pure: no I/O, no Dapr, no Koa.",
};

function restrictedImports(files, patterns, ignores = []) {
  return [{ files, ignores, rules: { "no-restricted-imports": ["error", { patterns }] } }];
}

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
  // One no-restricted-imports per kind of file (a later config would replace,
  // not extend, an earlier one's patterns for the same file).
  ...restrictedImports(["services/kit/**/*.ts"], [noDapr, kitStandsAlone], ["services/kit/dapr/http.ts"]),
  // The one adapter that wraps the Dapr SDK.
  ...restrictedImports(["services/kit/dapr/http.ts"], [kitStandsAlone]),
  ...restrictedImports(["services/contracts/**/*.ts"], [noDapr, contractsStandAlone]),
  ...restrictedImports(["services/*/*.ts"], [noDapr, ownServiceOnly], ["services/kit/**", "services/contracts/**", "services/*/domain.ts"]),
  ...restrictedImports(["services/*/domain.ts"], [noDapr, ownServiceOnly, pureDomain]),
  {
    files: ["services/**/*.ts"],
    ignores: ["services/kit/runtime.ts"],
    rules: {
      "no-restricted-globals": ["error", { name: "Deno", message: "Runtime detection lives in services/kit/runtime.ts." }],
    },
  },
  {
    // The live page's script runs in the browser.
    files: ["services/dashboard/page/*.js"],
    languageOptions: {
      sourceType: "script",
      globals: Object.fromEntries(
        ["document", "location", "history", "sessionStorage", "fetch", "setTimeout", "setInterval", "addEventListener", "uPlot", "Intl", "URLSearchParams", "TextDecoderStream"].map((name) => [name, "readonly"]),
      ),
    },
  },
  {
    files: ["deploy/**/*.mjs"],
    languageOptions: { globals: { process: "readonly", console: "readonly", fetch: "readonly", AbortSignal: "readonly", URLSearchParams: "readonly" } },
  },
);
