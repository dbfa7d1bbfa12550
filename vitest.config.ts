import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Fails the run when a test leaves a process or a temporary folder behind (and cleans up).
    globalSetup: ["test/hygiene/globalSetup.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    coverage: {
      provider: "v8",
      include: ["src/protocol/**/*.ts"],
      reporter: ["text-summary", "text"],
    },
  },
});
