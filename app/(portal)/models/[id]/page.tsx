import type { Metadata } from "next";
import { ModelDetailView } from "../../../_components/model-detail-view";

export const metadata: Metadata = { title: "Model" };

/** One model: summary, new-job form and its jobs. */
export default async function ModelPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <ModelDetailView modelId={id} />;
}
