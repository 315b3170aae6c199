// Lint policy: type-aware rules so no promise goes unnoticed, and the dependency direction of DESIGN.md §2.
import tseslint from "typescript-eslint";

const pluginsImport = {
  group: ["**/plugins/**", "../plugins/*", "../../plugins/*"],
  message: "core/ never imports plugins/: depend on a capability in core/capabilities instead.",
};
// Plugins see core only through its published surface; everything else of core (agent, install, state-machine,
// scheduler, control, store, platform, cli) is an implementation detail they must not reach into.
const pluginCoreSurface = ["capabilities", "errors", "di", "plugin-host", "logging", "config", "net", "slots", "io"];
const pluginsReachIntoCore = {
  // A regex, not globs: gitignore-style negation cannot re-include a folder under an excluded one.
  regex: `(^|/)core/(?!(${pluginCoreSurface.join("|")})/|agent-info\\.js$)`,
  message: `plugins/ import only core/{${pluginCoreSurface.join(",")}} and core/agent-info.js (types).`,
};
const coreImport = {
  group: ["**/core/**", "../core/*", "../../core/*"],
  message: "artifacts/ is a leaf library: it imports nothing from core/ or plugins/.",
};

export default tseslint.config(
  { ignores: ["node_modules/**", "dist/**", "coverage/**", "**/*.js", "**/*.mjs", "**/*.cjs"] },
  {
    files: ["**/*.ts"],
    extends: [tseslint.configs.base],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": ["error", { checksVoidReturn: { arguments: false } }],
      "@typescript-eslint/await-thenable": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "no-debugger": "error",
      "prefer-const": "error",
      eqeqeq: ["error", "smart"],
    },
  },
  {
    files: ["core/**/*.ts"],
    rules: { "no-restricted-imports": ["error", { patterns: [pluginsImport] }] },
  },
  {
    // entry.ts is the process entry (it starts core's CLI); builtin.ts only lists plugins.
    files: ["plugins/**/*.ts"],
    ignores: ["plugins/entry.ts"],
    rules: { "no-restricted-imports": ["error", { patterns: [pluginsReachIntoCore] }] },
  },
  {
    files: ["artifacts/**/*.ts"],
    rules: { "no-restricted-imports": ["error", { patterns: [pluginsImport, coreImport] }] },
  },
);
