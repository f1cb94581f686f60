import { stat } from "node:fs/promises";
import path from "node:path";
import { defineCommand, JSON_OPTION, URL_OPTION } from "../command";
import { CliError } from "../errors";
import { formatBytes, printJson } from "../output";
import { connectToServer } from "../session";
import { uploadDatasetWithProgress } from "./dataset-option";

/** `condense datasets upload FILE`: calibration / evaluation data for jobs (`jobs create --calib ID`). */
export const command = defineCommand({
  description: [
    "Accepted: one .npy (single-input models), .npz (one array per input, named like the inputs or arr_0, arr_1, …;",
    "optional integer `labels`), a TensorProto .pb, or a .zip/.tar bundle of them (a folder of .npy files named",
    "after the inputs, .npz chunks, or the ONNX model-zoo test_data_set_N/input_M.pb layout). Axis 0 = samples.",
    "The server parses every file and prints what it found; the dataset id goes to stdout (--json: the dataset).",
  ].join("\n"),
  positionals: [{ name: "FILE" }],
  options: { ...JSON_OPTION, ...URL_OPTION },
  examples: ["DATA=$(condense datasets upload calib.npz)", "condense jobs create --model MODEL_ID --preset int8-static --calib $DATA --wait"],
  async run({ positionals, options, io }) {
    const file = path.resolve(io.cwd, positionals[0]);
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) throw new CliError(`cannot read ${positionals[0]}: no such file`);
    const { client } = await connectToServer(io, options.url);
    const dataset = await uploadDatasetWithProgress(client, io, file, info.size);
    if (options.json) {
      printJson(io, dataset);
      return;
    }
    const s = dataset.summary;
    const tensors = s?.tensors.map((t) => `${t.name} ${t.dtype}[${t.shape.join(", ")}]`).join(", ") ?? "";
    io.stderr.write(
      `dataset ${dataset.id} "${dataset.name}" is ${dataset.state} (${formatBytes(dataset.sizeBytes)}): ${s?.format} with ${s?.sampleCount} samples${s?.hasLabels ? " and labels" : ""}; ${tensors}\n`,
    );
    io.stdout.write(`${dataset.id}\n`);
  },
});
