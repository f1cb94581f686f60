import { z } from "zod";
import { ZTuneReport } from "../../../../contracts/tune";
import { ZJobDto } from "../jobs/job.dto";

export const ZGetTuneRequest = z.object({ jobId: z.string().min(1) });
export type TGetTuneRequest = z.infer<typeof ZGetTuneRequest>;

export const ZGetTuneResponse = z.object({
  job: ZJobDto,
  trials: z.array(ZJobDto),
  /** Final tune-report.json, or a live report (partial Pareto front) while the search runs. */
  report: ZTuneReport.nullable(),
  reportFinal: z.boolean(),
});
export type TGetTuneResponse = z.infer<typeof ZGetTuneResponse>;
