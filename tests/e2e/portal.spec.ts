import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { formatBytes } from "../../app/_lib/format";
import { getFixtureModel } from "../fixtures/fetch-models";
import { measureHorizontalOverflowPx, signUp, signUpToModels, snap, snapBothThemes, startWebhookReceiver, uniqueEmail } from "./e2e-helpers";

/**
 * The portal's second round, end to end against the real stack: a real int8-static quantization with result
 * charts, download, rerun with changed options (step builder, per-job webhook), compare with the Pareto front;
 * settings (API key, webhook endpoint with test event and redelivery, invitation and workspace switch);
 * drag-and-drop of several files and canceling an upload. Screenshots of every page go to test-results/.
 */

const sha256Hex = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

test("int8-static on a real CNN: charts, download, rerun with changes and a webhook, compare on the Pareto chart", async ({ page }, testInfo) => {
  const modelPath = await getFixtureModel("ppocr_cls");
  const modelBytes = await readFile(modelPath);
  const receiver = await startWebhookReceiver();
  try {
    await signUpToModels(page, uniqueEmail("quant"));
    await page.getByTestId("model-file-input").setInputFiles(modelPath);
    await expect(page.getByTestId("upload-item").first()).toHaveAttribute("data-status", "ready", { timeout: 60_000 });
    await page.getByTestId("model-row").filter({ hasText: "ppocr_cls.onnx" }).getByRole("link").click();
    await expect(page).toHaveURL(/\/models\/[^/]+$/);
    const modelUrl = page.url();
    await expect(page.getByTestId("model-analysis")).toContainText("No analysis yet");

    // Presets come with one-line explanations; pick int8-static.
    const presetOption = page.getByTestId("preset-option").filter({ hasText: "int8-static" });
    await expect(presetOption).toContainText("calibrat");
    await presetOption.getByRole("radio").check();
    await expect(page.getByTestId("preset-description")).toContainText("QDQ");
    await snap(page, testInfo, "01-model-presets");
    await page.getByRole("button", { name: "Start job" }).click();
    await expect(page).toHaveURL(/\/jobs\/[^/?]+$/);
    const firstJobId = page.url().split("/").pop()!;
    await expect(page.getByTestId("state-badge").first()).toHaveText("succeeded", { timeout: 120_000 });

    // Results: original vs compressed with charts drawn from report.json.
    const results = page.getByTestId("job-results");
    await expect(results).toBeVisible({ timeout: 30_000 });
    await expect(page.getByTestId("chart-size").locator(".recharts-bar-rectangle")).toHaveCount(2);
    await expect(page.getByTestId("chart-latency").locator(".recharts-bar-rectangle")).toHaveCount(4);
    await expect(page.getByTestId("chart-fidelity").locator(".recharts-bar-rectangle").first()).toBeVisible();
    const sensitivityBars = page.getByTestId("chart-sensitivity").locator(".recharts-bar-rectangle");
    await expect(sensitivityBars.first()).toBeVisible();
    expect(await sensitivityBars.count()).toBeGreaterThan(1);
    await expect(page.getByTestId("result-cosine")).toHaveText(/^0\.9\d{3}$|^1\.0000$/);
    await expect(page.getByTestId("comparison-table")).toContainText(formatBytes(modelBytes.byteLength));
    await snapBothThemes(page, testInfo, "02-job-results");

    // Download the compressed model: the bytes are the artifact the job published (SHA-256) and smaller than the input.
    const artifactRow = page.getByTestId("artifacts-table").locator("tr").filter({ hasText: "ppocr_cls.compressed.onnx" });
    const publishedSha = await artifactRow.locator("td[data-label='SHA-256']").getAttribute("title");
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download ppocr_cls.compressed.onnx" }).click()]);
    const savedPath = testInfo.outputPath("ppocr_cls.compressed.onnx");
    await download.saveAs(savedPath);
    const compressed = await readFile(savedPath);
    expect(sha256Hex(compressed)).toBe(publishedSha);
    expect(compressed.byteLength).toBeLessThan(modelBytes.byteLength * 0.6);
    await expect(page.getByTestId("result-size")).toHaveText(formatBytes(compressed.byteLength));

    // Phone width: the charts shrink with the page, nothing scrolls sideways.
    await page.setViewportSize({ width: 390, height: 844 });
    await expect(page.getByTestId("chart-size").locator(".recharts-bar-rectangle").first()).toBeVisible();
    // Charts re-measure their container after a resize (ResizeObserver): give them a moment, then nothing may overflow.
    await expect.poll(() => measureHorizontalOverflowPx(page), { timeout: 5_000 }).toBeLessThanOrEqual(0);
    await expect.poll(() => page.getByTestId("chart-size").locator("svg").first().evaluate((svg) => svg.getBoundingClientRect().width)).toBeLessThan(390);
    await snap(page, testInfo, "03-job-results-phone");
    await page.setViewportSize({ width: 1280, height: 800 });

    // Rerun with changed options: the builder opens with the job's steps.
    await page.getByTestId("rerun-link").click();
    await expect(page).toHaveURL(/\/models\/[^/]+\?rerun=/);
    await expect(page.getByTestId("rerun-note")).toBeVisible();
    const steps = page.getByTestId("pipeline-step");
    await expect(steps).toHaveCount(1);
    await expect(steps.first()).toContainText("int8-static");
    const option = (name: string) => page.locator(`[data-step="0"][data-option="${name}"]`);
    await expect(option("calibrationMethod")).toHaveValue("percentile");
    await option("calibrationMethod").selectOption("minmax");
    // An out-of-range option is refused next to its field, before anything is sent.
    await option("percentile").fill("50");
    await page.getByRole("button", { name: "Start job" }).click();
    await expect(option("percentile")).toHaveAttribute("aria-invalid", "true");
    await expect(steps.first().getByRole("alert")).toContainText(/90/);
    await snap(page, testInfo, "04-rerun-builder-error");
    await option("percentile").fill("99.99");
    await page.getByTestId("add-step").selectOption("analyze");
    await expect(steps).toHaveCount(2);
    await page.getByLabel("Webhook URL (optional)").fill(receiver.url);
    await snap(page, testInfo, "05-rerun-builder");
    await page.getByRole("button", { name: "Start job" }).click();
    await expect(page).toHaveURL(/\/jobs\/[^/?]+$/);
    const secondJobId = page.url().split("/").pop()!;
    expect(secondJobId).not.toBe(firstJobId);
    await expect(page.getByTestId("state-badge").first()).toHaveText("succeeded", { timeout: 120_000 });
    await expect(page.getByTestId("steps-table").locator("tbody tr")).toHaveCount(2, { timeout: 30_000 });
    await expect(page.getByTestId("steps-table")).toContainText("int8-static");
    await snap(page, testInfo, "06-rerun-results");

    // The per-job webhook reached the receiver with the finished job in its body.
    await expect
      .poll(() => receiver.received.filter((h) => h.headers["condense-event"] === "job.succeeded" && h.body.includes(secondJobId)).length, { timeout: 30_000 })
      .toBe(1);
    const hook = receiver.received.find((h) => h.headers["condense-event"] === "job.succeeded")!;
    expect(hook.headers["webhook-signature"]).toMatch(/^v1,/);
    expect((JSON.parse(hook.body) as { state: string }).state).toBe("succeeded");

    // Compare: both jobs and the original on the size × latency × fidelity chart, with the Pareto front marked.
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Compare" }).click();
    await expect(page).toHaveURL(/\/compare$/);
    await expect(page.getByTestId("compare-job")).toHaveCount(2);
    const rows = page.getByTestId("compare-row");
    await expect(rows).toHaveCount(3, { timeout: 30_000 });
    await expect(page.getByTestId("chart-pareto").locator(".recharts-scatter-symbol")).toHaveCount(3);
    expect(await rows.and(page.locator("[data-front='true']")).count()).toBeGreaterThanOrEqual(1);
    // The original is never dominated on fidelity (cosine 1) unless a job also reached 1 and beat it elsewhere.
    await expect(rows.filter({ hasText: "original model" })).toHaveCount(1);
    await snapBothThemes(page, testInfo, "07-compare");
    await page.setViewportSize({ width: 390, height: 844 });
    await expect.poll(() => measureHorizontalOverflowPx(page), { timeout: 5_000 }).toBeLessThanOrEqual(0);
    await snap(page, testInfo, "07-compare-phone");
    await page.setViewportSize({ width: 1280, height: 800 });
    // Unticking a job removes it from the chart.
    await page.getByTestId("compare-job").first().uncheck();
    await expect(rows).toHaveCount(2);

    // The model page now shows its analysis as charts (op histogram, parameter bytes by dtype).
    await page.goto(modelUrl);
    await expect(page.getByTestId("chart-ops").locator(".recharts-bar-rectangle").first()).toBeVisible({ timeout: 30_000 });
    await expect(page.getByTestId("chart-dtypes")).toContainText("float32");
    await snapBothThemes(page, testInfo, "08-model-analysis");
  } finally {
    await receiver.close();
  }
});

test("settings: an API key shown once works on the API, a webhook endpoint gets a test event and a redelivery, an invited member switches workspace", async ({ page, browser, request }, testInfo) => {
  const ownerEmail = uniqueEmail("owner");
  await signUpToModels(page, ownerEmail);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Settings" }).click();
  await expect(page).toHaveURL(/\/settings\/keys$/);
  await expect(page.getByTestId("keys-empty")).toBeVisible();

  // API key: the secret appears once and authenticates API calls for this workspace.
  await page.getByLabel("Key name").fill("e2e script");
  await page.getByRole("button", { name: "Create key" }).click();
  const keyValue = await page.getByTestId("new-key-value").inputValue();
  expect(keyValue).toMatch(/^cnd_/);
  await expect(page.getByTestId("key-row")).toHaveCount(1);
  await expect(page.getByTestId("key-row")).not.toContainText(keyValue);
  await snap(page, testInfo, "01-api-key-created");
  const listUrl = `/api/trpc/models.list?input=${encodeURIComponent(JSON.stringify({ limit: 5 }))}`;
  const withKey = await request.get(listUrl, { headers: { authorization: `Bearer ${keyValue}` } });
  expect(withKey.status()).toBe(200);
  expect(((await withKey.json()) as { result: { data: { items: unknown[] } } }).result.data.items).toEqual([]);
  await page.reload();
  await expect(page.getByTestId("new-key")).toHaveCount(0);
  page.once("dialog", (d) => void d.accept());
  await page.getByRole("button", { name: "Revoke e2e script" }).click();
  await expect(page.getByTestId("key-row")).toContainText("revoked");
  expect((await request.get(listUrl, { headers: { authorization: `Bearer ${keyValue}` } })).status()).toBe(401);

  // Webhooks: register an endpoint for a receiver on 127.0.0.1, send a test event, redeliver it.
  const receiver = await startWebhookReceiver();
  try {
    await page.getByRole("navigation", { name: "Settings" }).getByRole("link", { name: "Webhooks" }).click();
    await expect(page.getByTestId("webhooks-empty")).toBeVisible();
    await page.getByLabel("Endpoint URL").fill(receiver.url);
    await page.getByRole("checkbox", { name: "job.progress" }).check();
    await page.getByRole("button", { name: "Register endpoint" }).click();
    await expect(page.getByTestId("webhook-secret").getByRole("textbox")).toHaveValue(/^whsec_/);
    const endpoint = page.getByTestId("webhook-endpoint");
    await expect(endpoint).toContainText(receiver.url);
    await expect(endpoint).toContainText("job.progress");
    await endpoint.getByRole("button", { name: "Send test event" }).click();
    const delivery = endpoint.getByTestId("delivery-row").first();
    await expect(delivery).toHaveAttribute("data-state", "delivered", { timeout: 30_000 });
    await expect(delivery).toContainText("HTTP 200");
    await expect.poll(() => receiver.received.length, { timeout: 10_000 }).toBe(1);
    const firstId = receiver.received[0].headers["webhook-id"];
    expect(firstId).toBeTruthy();
    await snap(page, testInfo, "02-webhook-delivered");
    await delivery.getByRole("button", { name: /^Redeliver/ }).click();
    await expect.poll(() => receiver.received.length, { timeout: 30_000 }).toBe(2);
    // A redelivery is the same message: receivers deduplicate on webhook-id.
    expect(receiver.received[1].headers["webhook-id"]).toBe(firstId);
    await snap(page, testInfo, "03-webhook-redelivered");
  } finally {
    await receiver.close();
  }

  // Members: an invite link, accepted by a new user who then works in the owner's workspace.
  await page.getByRole("navigation", { name: "Settings" }).getByRole("link", { name: "Members" }).click();
  await expect(page.getByTestId("member-row")).toHaveCount(1);
  const inviteeEmail = uniqueEmail("invitee");
  await page.getByLabel("Email", { exact: true }).fill(inviteeEmail);
  await page.getByRole("button", { name: "Create invite link" }).click();
  const inviteUrl = await page.getByTestId("invite-link").getByRole("textbox").inputValue();
  expect(inviteUrl).toContain("/invite/");
  await expect(page.getByTestId("invitation-row")).toContainText(inviteeEmail);
  await snap(page, testInfo, "04-members-invite");

  const inviteeContext = await browser.newContext();
  try {
    const invitee = await inviteeContext.newPage();
    await invitee.goto(new URL(inviteUrl).pathname);
    await expect(invitee.getByRole("heading", { name: "Join a workspace" })).toBeVisible();
    await invitee.getByRole("link", { name: "Create an account" }).click();
    await invitee.getByLabel("Email").fill(inviteeEmail);
    await invitee.getByLabel("Password").fill("correct horse battery");
    await invitee.getByRole("button", { name: "Create account" }).click();
    await expect(invitee).toHaveURL(/\/invite\//);
    await invitee.getByRole("button", { name: "Accept invitation" }).click();
    await expect(invitee).toHaveURL(/\/models$/);
    // Two workspaces now: the switcher appears in the header, on the owner's workspace.
    const switcher = invitee.getByTestId("workspace-switcher");
    await expect(switcher).toBeVisible();
    await expect(switcher.locator("option")).toHaveCount(2);
    await snap(invitee, testInfo, "05-invitee-switcher");
    await page.reload();
    await expect(page.getByTestId("member-row")).toHaveCount(2);
    await expect(page.getByTestId("member-row").filter({ hasText: inviteeEmail })).toContainText("member");
  } finally {
    await inviteeContext.close();
  }
});

test("drag and drop several models at once with per-file progress, and cancel an upload", async ({ page }, testInfo) => {
  const files = await Promise.all((["ppocr_cls", "silero_vad_legacy"] as const).map(async (name) => {
    const p = await getFixtureModel(name);
    return { name: path.basename(p), base64: (await readFile(p)).toString("base64") };
  }));
  await signUpToModels(page, uniqueEmail("drop"));

  // A real drop event carrying two files, as the OS file manager would send it.
  const dataTransfer = await page.evaluateHandle((items) => {
    const dt = new DataTransfer();
    for (const f of items) {
      const bytes = Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0));
      dt.items.add(new File([bytes], f.name, { type: "application/octet-stream" }));
    }
    return dt;
  }, files);
  const dropzone = page.getByTestId("dropzone");
  await dropzone.dispatchEvent("dragenter", { dataTransfer });
  await expect(dropzone).toHaveClass(/dropzone--active/);
  await dropzone.dispatchEvent("drop", { dataTransfer });
  const items = page.getByTestId("upload-item");
  await expect(items).toHaveCount(2);
  for (const f of files) {
    await expect(items.filter({ hasText: f.name })).toHaveAttribute("data-status", "ready", { timeout: 60_000 });
    await expect(page.getByTestId("model-row").filter({ hasText: f.name }).getByTestId("state-badge")).toHaveText("ready");
  }
  await snap(page, testInfo, "01-dropped-two");

  // Cancel: a slow multipart upload (storage answers each part after a delay) stops when asked.
  const bigPath = await getFixtureModel("ppocr_rec");
  let partsHeld = 0;
  await page.route(/[?&]partNumber=\d+/, async (route) => {
    partsHeld += 1;
    await new Promise((r) => setTimeout(r, 3000));
    await route.continue().catch(() => undefined);
  });
  await page.getByTestId("model-file-input").setInputFiles(bigPath);
  const big = items.filter({ hasText: "ppocr_rec.onnx" });
  await expect(big.getByRole("progressbar")).toBeVisible();
  await expect(big).toContainText(/MB\/s|left|%/);
  // Cancel while parts are on the wire (held by the route above).
  await expect.poll(() => partsHeld, { timeout: 15_000 }).toBeGreaterThan(0);
  await snap(page, testInfo, "02-uploading");
  await big.getByRole("button", { name: "Cancel" }).click();
  await expect(big).toHaveAttribute("data-status", "canceled", { timeout: 15_000 });
  await expect(big.getByRole("status")).toContainText("Upload canceled");
  // The canceled upload was never completed: its model is not offered as ready.
  await expect(page.getByTestId("model-row").filter({ hasText: "ppocr_rec.onnx" }).getByTestId("state-badge")).not.toHaveText("ready");
  await snap(page, testInfo, "03-canceled");
});

test("signed-out visitors of an invite link are offered sign in that comes back to the invitation", async ({ page }) => {
  await page.goto("/invite/not-a-real-token");
  await expect(page.getByRole("heading", { name: "Join a workspace" })).toBeVisible();
  await expect(page.getByRole("link", { name: "Sign in" })).toHaveAttribute("href", "/signin?next=%2Finvite%2Fnot-a-real-token");
  await signUp(page, uniqueEmail("badinvite"), "/signup?next=%2Finvite%2Fnot-a-real-token");
  await expect(page).toHaveURL(/\/invite\/not-a-real-token$/);
  await page.getByRole("button", { name: "Accept invitation" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "could not be accepted" })).toContainText("not valid");
});
