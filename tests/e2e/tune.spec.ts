import { writeFile } from "node:fs/promises";
import { expect, test } from "@playwright/test";
import { encodeNpz } from "../../worker/data/npz";
import { getFixtureModel } from "../fixtures/fetch-models";
import { createTextLineImages, signUpToModels, snap, snapBothThemes, uniqueEmail } from "./e2e-helpers";

/**
 * issue 10: "Tune" from a model page with calibration data uploaded through the goal form's own picker, live trials,
 * the Pareto chart with the recommended trial, the explanation, and trials that ran on that data.
 */
test("tune a real CNN from its model page: calibration data, trials table, Pareto front with the recommendation, explanation", async ({ page }, testInfo) => {
  const modelPath = await getFixtureModel("ppocr_cls");
  const npzPath = testInfo.outputPath("tune-calib.npz");
  await writeFile(npzPath, encodeNpz({ x: { dtype: "float32", dims: [8, 3, 48, 192], data: createTextLineImages(8) } }));
  await signUpToModels(page, uniqueEmail("tune"));
  await page.getByTestId("model-file-input").setInputFiles(modelPath);
  await expect(page.getByTestId("upload-item").first()).toHaveAttribute("data-status", "ready", { timeout: 60_000 });
  await page.getByTestId("model-row").filter({ hasText: "ppocr_cls.onnx" }).getByRole("link").click();
  await expect(page).toHaveURL(/\/models\/[^/]+$/);

  const form = page.getByTestId("tune-goal-form");
  await form.getByLabel("Keep").selectOption("cosine");
  await form.getByLabel("At least").fill("0.95");
  await form.getByLabel("Minimize").selectOption("latency");
  await form.getByLabel("Trials at most").fill("6");
  // The goal form has its own pickers (scope "tune"), apart from the new-job form's on the same page, folded away.
  await form.getByText("Data for the trials (optional)").click();
  await page.getByTestId("dataset-file-tune-calibration").setInputFiles(npzPath);
  const picker = page.getByTestId("dataset-picker-tune-calibration");
  await expect(picker.getByRole("combobox").locator("option:checked")).toContainText("tune-calib.npz · 8 samples", { timeout: 30_000 });
  await expect(page.getByTestId("dataset-summary-tune-calibration")).toHaveText("npz: x float32[8×3×48×192]");
  await snap(page, testInfo, "01-tune-form");
  await page.getByTestId("tune-submit").click();
  await expect(page).toHaveURL(/\/jobs\/[^/?]+$/);
  const tuneJobId = page.url().split("/").pop()!;

  const section = page.getByTestId("tune-section");
  await expect(section.getByTestId("tune-goal")).toContainText("keep cosine ≥ 0.95, minimize latency, at most 6 trials");
  // Live: trials appear while the search runs, before the tune job is finished.
  await expect(section.getByTestId("tune-trial-row").first()).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId("state-badge").first()).toHaveText("succeeded", { timeout: 170_000 });

  const rows = section.getByTestId("tune-trial-row");
  expect(await rows.count()).toBeGreaterThanOrEqual(2);
  expect(await rows.count()).toBeLessThanOrEqual(6);
  await expect(section.getByTestId("tune-outcome")).toBeVisible();
  await expect(section.getByTestId("tune-explanation")).toContainText(/Recommended|No trial met the goal/);
  await expect(page.getByTestId("tune-pareto-chart").locator(".recharts-scatter-symbol").first()).toBeVisible();
  await snapBothThemes(page, testInfo, "02-tune-results");

  // Each trial is an ordinary job with its own page.
  const firstTrial = rows.first().getByRole("link");
  const trialLabel = await firstTrial.textContent();
  const trialHref = await firstTrial.getAttribute("href");
  expect(trialHref).toMatch(/^\/jobs\/[^/?]+$/);
  expect(trialHref).not.toContain(tuneJobId);
  await firstTrial.click();
  await expect(page).toHaveURL(new RegExp(`${trialHref}$`));
  await expect(page.getByRole("heading", { level: 1 })).toContainText("Job");
  // Trials inherit the tune job's data: the worker downloaded the dataset picked in the goal form.
  await expect(page.getByTestId("job-logs")).toContainText('calibration data: dataset "tune-calib.npz"', { timeout: 15_000 });
  await snap(page, testInfo, `03-trial-${trialLabel?.replace(/[^\w.-]/g, "_")}`);
});
