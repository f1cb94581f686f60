import { describe, expect, it } from "vitest";
import { CliUsageError } from "../errors";
import { parseWebhookEventsOption } from "./webhooks-events-option";

describe("parseWebhookEventsOption", () => {
  it("splits, trims and de-duplicates known events; undefined stays undefined (server defaults)", () => {
    expect(parseWebhookEventsOption(" job.succeeded, job.failed,job.succeeded ", "--events")).toEqual(["job.succeeded", "job.failed"]);
    expect(parseWebhookEventsOption(undefined, "--events")).toBeUndefined();
  });

  it("names the unknown event and the choices in a usage error", () => {
    expect(() => parseWebhookEventsOption("job.succeeded,job.done", "--webhook-events")).toThrow(CliUsageError);
    expect(() => parseWebhookEventsOption("job.done", "--events")).toThrow(/^--events: unknown event "job\.done": choose from job\.started, job\.progress/);
    expect(() => parseWebhookEventsOption(" , ", "--events")).toThrow(/needs at least one event/);
  });
});
