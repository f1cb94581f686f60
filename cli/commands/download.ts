import path from "node:path";
import type { TJob } from "../../client";
import { defineCommand, JSON_OPTION, URL_OPTION } from "../command";
import { CliError } from "../errors";
import { formatBytes, printJson } from "../output";
import { createProgressBar, type TProgressBar } from "../progress-bar";
import { connectToServer } from "../session";

/** The artifact to fetch when --name is not given: the compressed model, else the only artifact. */
export function chooseDefaultArtifact(job: Pick<TJob, "id" | "state" | "artifacts">): string {
  const names = job.artifacts.map((a) => a.name);
  if (names.length === 0) {
    throw new CliError(`job ${job.id} has no artifacts${job.state === "succeeded" ? "" : ` (it is ${job.state})`}`);
  }
  const models = names.filter((n) => n.endsWith(".onnx"));
  if (models.length === 1) return models[0];
  if (names.length === 1) return names[0];
  throw new CliError(`job ${job.id} has several artifacts: choose one with --name (${names.join(", ")})`);
}

/** `condense download JOB_ID`: fetches an artifact through a presigned URL, verifying size and SHA-256. */
export const command = defineCommand({
  description: [
    "Without --name it fetches the job's compressed model (or its only artifact). The file is written next to",
    "FILE under a temporary name and moved into place only once its size and SHA-256 match the job's record.",
  ].join("\n"),
  positionals: [{ name: "JOB_ID" }],
  options: {
    name: { type: "string", valueName: "NAME", description: "Artifact name, e.g. report.json" },
    output: { type: "string", short: "o", valueName: "FILE", description: "Where to save it (default: ./NAME)" },
    ...JSON_OPTION,
    ...URL_OPTION,
  },
  examples: ["condense download JOB_ID --name report.json -o report.json", "condense download JOB_ID -o model.int8.onnx"],
  async run({ positionals, options, io }) {
    const jobId = positionals[0];
    const { client } = await connectToServer(io, options.url);
    const name = options.name ?? chooseDefaultArtifact(await client.getJob(jobId));
    const dest = path.resolve(io.cwd, options.output ?? path.basename(name));

    let bar: TProgressBar | undefined;
    let result;
    try {
      result = await client.downloadArtifact(jobId, name, dest, {
        signal: io.signal,
        onProgress: ({ receivedBytes, totalBytes }) => {
          bar ??= createProgressBar({ label: `download ${name}`, totalBytes, stream: io.stderr });
          bar.update(receivedBytes);
        },
      });
      bar?.finish();
    } catch (err) {
      if (err instanceof Error && err.message.startsWith(`download of ${name}`)) throw new CliError(err.message, { cause: err });
      if ((err as NodeJS.ErrnoException).code === "ENOENT" || (err as NodeJS.ErrnoException).code === "EACCES") {
        throw new CliError(`cannot write ${options.output ?? name}: ${(err as Error).message}`, { cause: err });
      }
      throw err;
    } finally {
      bar?.stop();
    }
    if (options.json) printJson(io, { jobId, name, ...result });
    else io.stderr.write(`saved ${name} of job ${jobId} to ${result.path} (${formatBytes(result.sizeBytes)}, sha256 ${result.sha256} verified)\n`);
  },
});
