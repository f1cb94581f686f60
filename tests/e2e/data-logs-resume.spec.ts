import { writeFile } from "node:fs/promises";
import { expect, test } from "@playwright/test";
import { encodeNpz } from "../../worker/data/npz";
import { getFixtureModel } from "../fixtures/fetch-models";
import { createTextLineImages, signUpToModels, snap, uniqueEmail } from "./e2e-helpers";

/**
 * Calibration data, job logs and upload resume in the portal, against the real stack: a .npz uploaded from the
 * new-job form calibrates a real int8-static job whose live log names the dataset; an upload interrupted by the
 * network is resumed after a page reload and sends only the missing parts. Screenshots go to test-results/.
 */

test("upload calibration data from the new-job form, run int8-static with it, follow the job's logs", async ({ page }, testInfo) => {
  const npzPath = testInfo.outputPath("cls-calib.npz");
  await writeFile(npzPath, encodeNpz({ x: { dtype: "float32", dims: [8, 3, 48, 192], data: createTextLineImages(8) } }));
  await signUpToModels(page, uniqueEmail("data"));
  await page.getByTestId("model-file-input").setInputFiles(await getFixtureModel("ppocr_cls"));
  await expect(page.getByTestId("upload-item").first()).toHaveAttribute("data-status", "ready", { timeout: 60_000 });
  await page.getByTestId("model-row").filter({ hasText: "ppocr_cls.onnx" }).getByRole("link").click();
  await expect(page).toHaveURL(/\/models\/[^/]+$/);

  await page.getByTestId("preset-option").filter({ hasText: "int8-static" }).getByRole("radio").check();
  await page.getByTestId("dataset-file-calibration").setInputFiles(npzPath);
  const picker = page.getByTestId("dataset-picker-calibration");
  await expect(picker.getByRole("combobox")).toHaveValue(/.+/, { timeout: 30_000 });
  await expect(picker.getByRole("combobox").locator("option:checked")).toContainText("cls-calib.npz · 8 samples");
  await expect(page.getByTestId("dataset-summary-calibration")).toHaveText("npz: x float32[8×3×48×192]");
  await snap(page, testInfo, "01-new-job-with-calibration-data");

  await page.getByRole("button", { name: "Start job" }).click();
  await expect(page).toHaveURL(/\/jobs\/[^/?]+$/);
  const logs = page.getByTestId("job-logs");
  // Live: lines appear while the job runs, before it is finished.
  await expect(logs).toContainText("stage:", { timeout: 60_000 });
  await expect(page.getByTestId("state-badge").first()).toHaveText("succeeded", { timeout: 150_000 });
  await expect(logs).toContainText('calibration data: dataset "cls-calib.npz"');
  await expect(logs).toContainText(/step 1 int8-static: size x0\.\d+/);
  await expect(logs).toContainText(/finished: \d+ artifacts uploaded/);
  await expect(page.getByTestId("job-logs-status")).toHaveText(/^\d+ lines$/, { timeout: 10_000 });
  await page.getByTestId("job-logs").scrollIntoViewIfNeeded();
  await snap(page, testInfo, "02-job-with-logs");
});

test("an upload interrupted by the network is resumed after a reload, sending only the missing parts", async ({ page }, testInfo) => {
  const bigPath = await getFixtureModel("ppocr_rec"); // ~10.8 MB: 3 parts of 5 MiB on the e2e stack
  await signUpToModels(page, uniqueEmail("resume"));
  const sent: string[] = [];
  // The network dies for parts 2 and 3: part 1 is stored, the upload fails after its retries.
  await page.route(/[?&]partNumber=\d+/, async (route) => {
    const part = new URL(route.request().url()).searchParams.get("partNumber")!;
    if (route.request().method() === "PUT") sent.push(part);
    if (part !== "1" && route.request().method() === "PUT") await route.abort("connectionreset");
    else await route.continue();
  });
  await page.getByTestId("model-file-input").setInputFiles(bigPath);
  const item = page.getByTestId("upload-item").filter({ hasText: "ppocr_rec.onnx" });
  await expect(item).toHaveAttribute("data-status", "failed", { timeout: 60_000 });
  expect(sent).toContain("1");

  // Reload: the page remembers the interrupted upload; dropping the same file offers Resume.
  await page.unrouteAll({ behavior: "ignoreErrors" });
  await page.reload();
  const resent: string[] = [];
  await page.route(/[?&]partNumber=\d+/, async (route) => {
    if (route.request().method() === "PUT") resent.push(new URL(route.request().url()).searchParams.get("partNumber")!);
    await route.continue();
  });
  await page.getByTestId("model-file-input").setInputFiles(bigPath);
  const again = page.getByTestId("upload-item").filter({ hasText: "ppocr_rec.onnx" });
  await expect(again).toHaveAttribute("data-status", "interrupted");
  await expect(again.getByTestId("upload-interrupted")).toContainText("1 part already stored");
  await snap(page, testInfo, "01-resume-offered");
  await again.getByTestId("upload-resume").click();
  await expect(again).toHaveAttribute("data-status", "ready", { timeout: 60_000 });
  expect(resent.sort()).toEqual(["2", "3"]);
  await expect(page.getByTestId("model-row").filter({ hasText: "ppocr_rec.onnx" }).getByTestId("state-badge")).toHaveText("ready");
  await snap(page, testInfo, "02-resumed");
});
