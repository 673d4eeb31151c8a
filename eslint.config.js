// One lint setup for the workspace, with type information (typescript-eslint's
// project service), so rules like switch-exhaustiveness-check see real types.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "**/dist/**",
      "**/node_modules/**",
      "**/generated/**",
      "**/coverage/**",
      "**/.turbo/**",
      "apps/web/public/**",
      "**/*.config.js",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/switch-exhaustiveness-check": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      "@typescript-eslint/no-floating-promises": "error",
      "max-params": ["error", 3],
      "no-console": "error",
    },
  },
  {
    // The dashboard's page runs in the browser (DOM types come from its tsconfig): no Node built-ins.
    files: ["apps/web/src/**"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [{ group: ["node:*"], message: "apps/web/src runs in the browser" }] }],
    },
  },
  {
    // Tests, scripts and benchmarks talk to the terminal and poke at untyped JSON.
    files: ["**/test/**", "**/scripts/**", "**/bench/**", "scripts/**"],
    rules: {
      "no-console": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-return": "off",
      "@typescript-eslint/no-non-null-assertion": "off",
      // Property-test callbacks take one argument per generated value.
      "max-params": "off",
    },
  },
);
