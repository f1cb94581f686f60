import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { expect, type Page, type TestInfo } from "@playwright/test";

/** Shared steps of the browser suite: unique accounts, screenshots, a local webhook receiver. */

export function uniqueEmail(tag: string): string {
  return `${tag}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}@e2e.condense.test`;
}

/** Full-page screenshot under the test's output folder, for reviewers. */
export async function snap(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  await page.screenshot({ path: testInfo.outputPath(`${name}.png`), fullPage: true });
}

/** Light and dark screenshots of the same page: charts must be readable in both themes. */
export async function snapBothThemes(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  await snap(page, testInfo, name);
  await page.emulateMedia({ colorScheme: "dark" });
  await snap(page, testInfo, `${name}-dark`);
  await page.emulateMedia({ colorScheme: "light" });
}

/** How far the page scrolls sideways; > 0 means something does not fit the viewport. */
export function measureHorizontalOverflowPx(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

export async function signUp(page: Page, email: string, path = "/signup"): Promise<void> {
  await page.goto(path);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("correct horse battery");
  await page.getByRole("button", { name: "Create account" }).click();
}

export async function signUpToModels(page: Page, email: string): Promise<void> {
  await signUp(page, email);
  await expect(page).toHaveURL(/\/models$/);
  await expect(page.getByTestId("user-email")).toHaveText(email);
}

export type TReceivedHook = { headers: IncomingHttpHeaders; body: string; receivedAtMs: number };

/** A webhook receiver on 127.0.0.1 that records every POST and answers 200 (or what `status` says). */
export async function startWebhookReceiver(): Promise<{ url: string; received: TReceivedHook[]; status: { code: number }; close: () => Promise<void> }> {
  const received: TReceivedHook[] = [];
  const status = { code: 200 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8"), receivedAtMs: Date.now() });
      res.writeHead(status.code, { "content-type": "text/plain" }).end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/condense`,
    received,
    status,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** `n` seeded pseudo-random images shaped like ppocr_cls's input (3×48×192), values in [0, 1). */
export function createTextLineImages(n: number): Float32Array {
  const data = new Float32Array(n * 3 * 48 * 192);
  let s = 7;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    data[i] = (s >>> 8) / 2 ** 24;
  }
  return data;
}
