import { annotateReportRuntime } from "../runtime/ort";

type TArtifactFile = { name: string; contentType: string; bytes: Uint8Array };

/**
 * Adds runtime provenance (provider, versions, opsets, hardware) and the execution-provider fallback warning to a
 * job's report, and rewrites the pipeline's own report.json artifact (serialized before the job saw the report)
 * so the stored file carries them too. Mutates both.
 */
export function annotateJobReport<R extends Parameters<typeof annotateReportRuntime>[0]>(report: R, artifacts: TArtifactFile[]): R {
  annotateReportRuntime(report);
  const i = artifacts.findIndex((a) => a.name === "report.json");
  if (i !== -1) artifacts[i] = { ...artifacts[i]!, bytes: new TextEncoder().encode(JSON.stringify(report, null, 2)) };
  return report;
}
