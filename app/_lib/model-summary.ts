import { z } from "zod";

/**
 * The model summary stored at upload validation (IR version, opsets, producer, IO), read leniently:
 * the portal shows what is there and never breaks a page because a field was added or is missing.
 */
const ZDim = z.union([z.number(), z.string(), z.null()]);
const ZTensor = z
  .object({
    name: z.string().catch(""),
    elemType: z.string().optional().catch(undefined),
    shape: z.array(ZDim).nullish().catch(undefined),
  })
  .passthrough();
const ZOpset = z.object({ domain: z.string().catch(""), version: z.number() });

const ZSummaryLenient = z
  .object({
    irVersion: z.number().optional().catch(undefined),
    producer: z.string().optional().catch(undefined),
    producerName: z.string().optional().catch(undefined),
    producerVersion: z.string().optional().catch(undefined),
    opsets: z.array(ZOpset).optional().catch(undefined),
    opsetImports: z.array(ZOpset).optional().catch(undefined),
    inputs: z.array(ZTensor).optional().catch(undefined),
    outputs: z.array(ZTensor).optional().catch(undefined),
  })
  .passthrough();

export type TModelSummaryView = {
  irVersion?: number;
  producer?: string;
  /** Version of the default ("" / ai.onnx) opset: what people mean by "opset 17". */
  defaultOpset?: number;
  opsets: Array<{ domain: string; version: number }>;
  inputs: Array<{ name: string; elemType?: string; shape?: Array<number | string | null> | null }>;
  outputs: Array<{ name: string; elemType?: string; shape?: Array<number | string | null> | null }>;
};

/** Reads whatever summary the API stored; unknown shapes give an empty view rather than an exception. */
export function readModelSummary(summary: unknown): TModelSummaryView {
  const parsed = ZSummaryLenient.safeParse(summary ?? {});
  if (!parsed.success) return { opsets: [], inputs: [], outputs: [] };
  const s = parsed.data;
  const opsets = s.opsets ?? s.opsetImports ?? [];
  const producer = [s.producer ?? s.producerName, s.producerVersion].filter(Boolean).join(" ") || undefined;
  return {
    irVersion: s.irVersion,
    producer,
    defaultOpset: opsets.find((o) => o.domain === "" || o.domain === "ai.onnx")?.version,
    opsets,
    inputs: s.inputs ?? [],
    outputs: s.outputs ?? [],
  };
}
