import { stat } from "node:fs/promises";
import path from "node:path";
import { defineCommand, JSON_OPTION, URL_OPTION } from "../command";
import { CliError } from "../errors";
import { formatBytes, printJson } from "../output";
import { createProgressBar } from "../progress-bar";
import { connectToServer } from "../session";

/** `condense upload FILE`: multipart upload straight to storage, then server-side validation. */
export const command = defineCommand({
  description: [
    "The file goes straight to storage in parallel parts (each retried on failure); the server then checks its",
    "size, SHA-256 and that it is a valid ONNX model. Prints the model id on stdout (the full model with --json),",
    "so `MODEL=$(condense upload model.onnx)` works in scripts; progress goes to stderr.",
  ].join("\n"),
  positionals: [{ name: "FILE" }],
  options: {
    name: { type: "string", valueName: "NAME", description: "Model name (default: the file name)" },
    resume: { type: "string", valueName: "MODEL_ID", description: "Resume an interrupted upload of this file: only parts storage lacks are sent" },
    ...JSON_OPTION,
    ...URL_OPTION,
  },
  examples: ["condense upload ./silero_vad.onnx --name vad-v5", "condense upload ./big.onnx --resume MODEL_ID"],
  async run({ positionals, options, io }) {
    const file = path.resolve(io.cwd, positionals[0]);
    let sizeBytes: number;
    try {
      const info = await stat(file);
      if (!info.isFile()) throw new CliError(`${positionals[0]} is not a file`);
      sizeBytes = info.size;
    } catch (err) {
      if (err instanceof CliError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      throw new CliError(`cannot read ${positionals[0]}: ${code === "ENOENT" ? "no such file" : (err as Error).message}`);
    }
    if (sizeBytes === 0) throw new CliError(`${positionals[0]} is empty: choose an .onnx model file`);

    const { client } = await connectToServer(io, options.url);
    const bar = createProgressBar({ label: `upload ${path.basename(file)}`, totalBytes: sizeBytes, stream: io.stderr });
    let validating = false;
    let model;
    try {
      model = await client.uploadModel(file, {
        name: options.name,
        signal: io.signal,
        resume: options.resume ? { modelId: options.resume } : undefined,
        // Printed once the upload exists, so an interrupted upload can be resumed with --resume.
        onStart: (upload) => {
          if (!options.resume) io.stderr.write(`upload ${upload.id} started (${upload.partCount} parts); if interrupted: condense upload ${positionals[0]} --resume ${upload.id}\n`);
        },
        onProgress: ({ sentBytes, totalBytes }) => {
          bar.update(sentBytes);
          if (sentBytes >= totalBytes && !validating) {
            validating = true;
            bar.finish();
            io.stderr.write("validating on the server (size, SHA-256, ONNX structure)…\n");
          }
        },
      });
    } finally {
      bar.stop();
    }
    if (options.json) {
      printJson(io, model);
      return;
    }
    io.stderr.write(`model ${model.id} "${model.name}" is ${model.state} (${formatBytes(model.sizeBytes)}, sha256 ${model.sha256 ?? "?"})\n`);
    io.stdout.write(`${model.id}\n`);
  },
});
