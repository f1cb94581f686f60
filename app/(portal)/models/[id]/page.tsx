import type { Metadata } from "next";
import { ModelDetailView } from "../../../_components/model-detail-view";

export const metadata: Metadata = { title: "Model" };

/** One model: summary, analysis, new-job form and its jobs. `?rerun=<jobId>` prefills the form from that job. */
export default async function ModelPage({ params, searchParams }: { params: Promise<{ id: string }>; searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { id } = await params;
  const { rerun } = await searchParams;
  return <ModelDetailView modelId={id} rerunJobId={typeof rerun === "string" ? rerun : undefined} />;
}
