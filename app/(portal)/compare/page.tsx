import type { Metadata } from "next";
import { CompareView } from "../../_components/compare-view";

export const metadata: Metadata = { title: "Compare" };

/** Several jobs of one model on a size × latency × fidelity chart. `?model=<id>` preselects the model. */
export default async function ComparePage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { model } = await searchParams;
  return <CompareView initialModelId={typeof model === "string" ? model : undefined} />;
}
