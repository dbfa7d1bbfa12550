import { defineConfig } from "vitest/config";
import SlowFirstSequencer from "./test/slowFirstSequencer.js";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Fails the run when a test leaves a process or a temporary folder behind (and cleans up).
    globalSetup: ["test/hygiene/globalSetup.ts"],
    // Test files run side by side. Vitest's default (one worker fewer than the CPUs) runs them one
    // at a time on a 2-core machine, yet most of the run is real processes waiting on real timeouts
    // (chaos runs, clusters, failovers): two files at once keep both cores busy. Each file picks
    // its own ports (port 0 or a probed free one), temporary folders (mkdtemp under the run's
    // TMPDIR) and network-namespace names (tagged with the worker's pid), so files do not clash.
    maxWorkers: 2,
    // The long files start first (a fresh clone has no cached durations to order by).
    sequence: { sequencer: SlowFirstSequencer },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    coverage: {
      provider: "v8",
      include: ["src/protocol/**/*.ts"],
      reporter: ["text-summary", "text"],
    },
  },
});
