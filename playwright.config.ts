import { defineConfig, devices } from "@playwright/test";

/**
 * Browser suite: Debian's Chromium (never `npx playwright install`: machines are offline) against the real
 * stack started by tests/e2e/start-e2e-stack.ts (fresh PostgreSQL database, s3rver, `condense serve` with its worker).
 */
const PORT = Number(process.env.E2E_PORT ?? "3917");
const BASE_URL = `http://127.0.0.1:${PORT}`;

export default defineConfig({
  testDir: "tests/e2e",
  outputDir: "test-results",
  // One real stack, one worker: the flows share the database and 2 cores would only thrash with more.
  fullyParallel: false,
  workers: 1,
  forbidOnly: Boolean(process.env.CI),
  retries: 0,
  timeout: 180_000,
  expect: { timeout: 15_000 },
  // `open: "never"`: CI has no stdin and must not wait for a report server.
  reporter: [["list"], ["html", { open: "never", outputFolder: "playwright-report" }]],
  use: {
    baseURL: BASE_URL,
    screenshot: "on",
    trace: "retain-on-failure",
    video: "off",
    acceptDownloads: true,
  },
  projects: [
    {
      name: "chromium",
      use: {
        ...devices["Desktop Chrome"],
        launchOptions: {
          executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
          args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        },
      },
    },
  ],
  webServer: {
    command: "node --import tsx tests/e2e/start-e2e-stack.ts",
    url: `${BASE_URL}/api/health`,
    env: { E2E_PORT: String(PORT) },
    // A first run may build the web app (~1 min on 2 cores) before the platform starts.
    timeout: 300_000,
    reuseExistingServer: false,
    stdout: "pipe",
    stderr: "pipe",
    // SIGTERM lets the stack stop the platform and drop its database instead of leaving them behind.
    gracefulShutdown: { signal: "SIGTERM", timeout: 30_000 },
  },
});
