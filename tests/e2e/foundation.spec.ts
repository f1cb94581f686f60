import { createHash } from "node:crypto";
import { readFile, stat, writeFile } from "node:fs/promises";
import { expect, test, type Page, type TestInfo } from "@playwright/test";
import { formatBytes } from "../../app/_lib/format";
import { getFixtureModel } from "../fixtures/fetch-models";

/**
 * The walking skeleton in a real browser against the real stack: sign up, upload a real ONNX model,
 * run `analyze`, watch the job finish without reloading, read the result and download report.json.
 * Each step saves a full-page screenshot under test-results/ for reviewers.
 */

function uniqueEmail(tag: string): string {
  return `${tag}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}@e2e.condense.test`;
}

async function snap(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  await page.screenshot({ path: testInfo.outputPath(`${name}.png`), fullPage: true });
}

/** How far the page scrolls sideways; > 0 means something does not fit the viewport. */
function measureHorizontalOverflowPx(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

async function signUp(page: Page, email: string): Promise<void> {
  await page.goto("/signup");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("correct horse battery");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/models$/);
  await expect(page.getByTestId("user-email")).toHaveText(email);
}

test("sign up, upload a real model, run analyze live, see the result and download report.json", async ({ page }, testInfo) => {
  const modelPath = await getFixtureModel("silero_vad_legacy");
  const modelBytes = await readFile(modelPath);
  const modelSha256 = createHash("sha256").update(modelBytes).digest("hex");

  // Unauthenticated visitors are sent to sign in.
  await page.goto("/models");
  await expect(page).toHaveURL(/\/signin$/);
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
  await snap(page, testInfo, "01-signin");

  await page.getByRole("link", { name: "Create an account" }).click();
  await expect(page).toHaveURL(/\/signup$/);
  await snap(page, testInfo, "02-signup");
  const email = uniqueEmail("flow");
  await signUp(page, email);
  await expect(page.getByTestId("models-empty")).toBeVisible();
  await snap(page, testInfo, "03-models-empty");

  // Upload through the file input: presigned multipart PUTs from the browser straight to s3rver.
  await page.getByTestId("model-file-input").setInputFiles(modelPath);
  const upload = page.getByTestId("upload-item").first();
  await expect(upload).toHaveAttribute("data-status", "ready", { timeout: 60_000 });
  await expect(upload.getByRole("status")).toContainText("Uploaded and validated");
  const row = page.getByTestId("model-row").filter({ hasText: "silero_vad_legacy.onnx" });
  await expect(row).toHaveCount(1);
  await expect(row.getByTestId("state-badge")).toHaveText("ready");
  await expect(row).toContainText(formatBytes(modelBytes.byteLength));
  await snap(page, testInfo, "04-models-uploaded");

  // Model page: the server's SHA-256 is the one of the bytes we sent.
  await row.getByRole("link", { name: "silero_vad_legacy.onnx" }).click();
  await expect(page).toHaveURL(/\/models\/[^/]+$/);
  await expect(page.getByTestId("model-sha256")).toHaveText(modelSha256);
  await expect(page.getByTestId("preset-description")).toContainText("CPU latency");
  await snap(page, testInfo, "05-model");

  // A malformed custom pipeline is refused in place, naming the option.
  await page.getByRole("radio", { name: "Custom pipeline (JSON)" }).check();
  await page.getByLabel("Pipeline JSON").fill('{ "steps": [ { "pass": "analyze", "options": { "latencyRuns": 0 } } ] }');
  await page.getByRole("button", { name: "Start job" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "latencyRuns" })).toContainText("steps[0].options.latencyRuns");
  await snap(page, testInfo, "06-model-pipeline-error");

  // Run the analyze preset; the job page must reach "succeeded" by itself (no reload).
  await page.getByRole("radio", { name: "Preset", exact: true }).check();
  await page.getByRole("button", { name: "Start job" }).click();
  await expect(page).toHaveURL(/\/jobs\/[^/]+$/);
  const jobUrl = page.url();
  let navigations = 0;
  page.on("framenavigated", (frame) => {
    if (frame === page.mainFrame()) navigations += 1;
  });
  await expect(page.getByTestId("state-badge").first()).toHaveText("succeeded", { timeout: 120_000 });
  expect(navigations).toBe(0);
  expect(page.url()).toBe(jobUrl);
  await expect(page.getByTestId("job-attempts")).toHaveText("1");

  // The analysis from report.json.
  const analysis = page.getByTestId("analysis");
  await expect(analysis).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId("stat-size")).toHaveText(formatBytes(modelBytes.byteLength));
  await expect(page.getByTestId("stat-p50")).toHaveText(/^\d+(\.\d+)? ms$/);
  await expect(page.getByTestId("stat-p95")).toHaveText(/^\d+(\.\d+)? ms$/);
  // Soft: a missing section fails the test but the download and list checks below still run and report.
  await expect.soft(page.getByTestId("chart-ops").locator(".recharts-bar-rectangle").first()).toBeVisible();
  await expect.soft(page.getByTestId("params-table")).toContainText("float32");
  await snap(page, testInfo, "07-job-succeeded");
  await page.emulateMedia({ colorScheme: "dark" });
  await snap(page, testInfo, "07-job-succeeded-dark");
  await page.emulateMedia({ colorScheme: "light" });

  // Download report.json through its presigned URL and check it describes the uploaded file.
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download report.json" }).click()]);
  expect(download.suggestedFilename()).toBe("report.json");
  const savedPath = testInfo.outputPath("report.json");
  await download.saveAs(savedPath);
  const report = JSON.parse(await readFile(savedPath, "utf8")) as { original: { sizeBytes: number; sha256?: string } };
  expect(report.original.sizeBytes).toBe((await stat(modelPath)).size);
  if (report.original.sha256 !== undefined) expect(report.original.sha256).toBe(modelSha256);

  // The jobs list shows it, and the page works at phone width without sideways scrolling.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Jobs" }).click();
  await expect(page).toHaveURL(/\/jobs$/);
  await expect(page.getByTestId("job-row").first().getByTestId("state-badge")).toHaveText("succeeded");
  await snap(page, testInfo, "08-jobs");
  await page.setViewportSize({ width: 390, height: 844 });
  await expect(page.getByTestId("job-row").first()).toBeVisible();
  expect(await measureHorizontalOverflowPx(page)).toBeLessThanOrEqual(0);
  await snap(page, testInfo, "09-jobs-phone");
  await page.goto(jobUrl);
  await expect(page.getByTestId("analysis")).toBeVisible();
  expect(await measureHorizontalOverflowPx(page)).toBeLessThanOrEqual(0);
  await snap(page, testInfo, "10-job-phone");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Models" }).click();
  await expect(page.getByTestId("model-row").first()).toBeVisible();
  expect(await measureHorizontalOverflowPx(page)).toBeLessThanOrEqual(0);
  await snap(page, testInfo, "11-models-phone");

  // Signing out ends the session: the portal sends us back to sign in.
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/signin$/);
  await page.goto("/jobs");
  await expect(page).toHaveURL(/\/signin$/);
});

test("a non-ONNX file and an empty file get a clear error on the page", async ({ page }, testInfo) => {
  await signUp(page, uniqueEmail("bad"));

  const textPath = testInfo.outputPath("not-a-model.onnx");
  await writeFile(textPath, "This is a plain text file renamed to .onnx, not a protobuf model.\n".repeat(20));
  await page.getByTestId("model-file-input").setInputFiles(textPath);
  const item = page.getByTestId("upload-item").filter({ hasText: "not-a-model.onnx" });
  await expect(item).toHaveAttribute("data-status", "failed", { timeout: 60_000 });
  const alert = item.getByRole("alert");
  await expect(alert).toContainText("Upload of not-a-model.onnx failed");
  await expect(alert).toContainText(/onnx/i);
  // The model row records the rejection with the same reason; nothing is left "ready".
  const row = page.getByTestId("model-row").filter({ hasText: "not-a-model.onnx" });
  await expect(row.getByTestId("state-badge")).toHaveText("failed");
  await snap(page, testInfo, "01-bad-upload");

  const emptyPath = testInfo.outputPath("empty.onnx");
  await writeFile(emptyPath, "");
  await page.getByTestId("model-file-input").setInputFiles(emptyPath);
  const emptyItem = page.getByTestId("upload-item").filter({ hasText: "empty.onnx" });
  await expect(emptyItem).toHaveAttribute("data-status", "failed", { timeout: 30_000 });
  await expect(emptyItem.getByRole("alert")).toContainText("empty");
  await snap(page, testInfo, "02-empty-upload");
});

test("a multipart upload survives a failed part, and a running job can be canceled from its page", async ({ page }, testInfo) => {
  // ~10.8 MB: three 5 MiB parts with the e2e stack's UPLOAD_PART_BYTES.
  const modelPath = await getFixtureModel("ppocr_rec");
  const modelSha256 = createHash("sha256").update(await readFile(modelPath)).digest("hex");
  await signUp(page, uniqueEmail("multipart"));

  // Storage drops the first PUT of part 2 (a network failure, as far as the browser can tell).
  const putsByPart = new Map<number, number>();
  await page.route(/[?&]partNumber=\d+/, async (route) => {
    const request = route.request();
    if (request.method() !== "PUT") return route.continue();
    const partNumber = Number(new URL(request.url()).searchParams.get("partNumber"));
    const seen = (putsByPart.get(partNumber) ?? 0) + 1;
    putsByPart.set(partNumber, seen);
    if (partNumber === 2 && seen === 1) return route.abort("connectionreset");
    return route.continue();
  });

  await page.getByTestId("model-file-input").setInputFiles(modelPath);
  const item = page.getByTestId("upload-item").first();
  await expect(item.getByRole("progressbar")).toBeVisible();
  await expect(item).toHaveAttribute("data-status", "ready", { timeout: 90_000 });
  expect([...putsByPart.keys()].sort()).toEqual([1, 2, 3]);
  expect(putsByPart.get(2)).toBe(2);
  expect(putsByPart.get(1)).toBe(1);
  await snap(page, testInfo, "01-multipart-uploaded");

  await page.getByTestId("model-row").filter({ hasText: "ppocr_rec.onnx" }).getByRole("link").click();
  await expect(page.getByTestId("model-sha256")).toHaveText(modelSha256);
  await snap(page, testInfo, "02-multipart-model");

  // A long analyze (1000 timed runs of a 10 MB recogniser): watch it run, then cancel it.
  await page.getByRole("radio", { name: "Custom pipeline (JSON)" }).check();
  await page.getByLabel("Pipeline JSON").fill('{ "steps": [ { "pass": "analyze", "options": { "latencyRuns": 1000, "warmupRuns": 0 } } ] }');
  await page.getByRole("button", { name: "Start job" }).click();
  await expect(page).toHaveURL(/\/jobs\/[^/]+$/);
  const badge = page.getByTestId("state-badge").first();
  await expect(badge).toHaveText("running", { timeout: 60_000 });
  await expect(page.getByRole("progressbar", { name: "Job progress" })).toBeVisible();
  await snap(page, testInfo, "03-job-running");
  await page.getByRole("button", { name: "Cancel job" }).click();
  await expect(badge).toHaveText("canceled", { timeout: 30_000 });
  await expect(page.getByRole("status").filter({ hasText: "No artifacts were published" })).toBeVisible();
  await expect(page.getByTestId("artifacts-table")).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Cancel job" })).toHaveCount(0);
  await snap(page, testInfo, "04-job-canceled");
});
