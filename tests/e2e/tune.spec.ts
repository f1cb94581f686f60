import { expect, test } from "@playwright/test";
import { getFixtureModel } from "../fixtures/fetch-models";
import { signUpToModels, snap, snapBothThemes, uniqueEmail } from "./e2e-helpers";

/** issue 10: "Tune" from a model page, live trials, the Pareto chart with the recommended trial, and the explanation. */
test("tune a real CNN from its model page: trials table, Pareto front with the recommendation, explanation", async ({ page }, testInfo) => {
  const modelPath = await getFixtureModel("ppocr_cls");
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
  await snap(page, testInfo, `03-trial-${trialLabel?.replace(/[^\w.-]/g, "_")}`);
});
