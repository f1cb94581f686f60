import type { Metadata } from "next";
import { JobDetailView } from "../../../_components/job-detail-view";

export const metadata: Metadata = { title: "Job" };

/** One job, updated live until it finishes. */
export default async function JobPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <JobDetailView jobId={id} />;
}
