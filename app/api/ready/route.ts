import { getPrisma } from "../../../server/db/prisma";
import { checkReadiness } from "../../../server/services/health/check-readiness";
import { getObjectStore } from "../../../server/storage/object-store";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** 200 when the database and storage answer; 503 naming which one did not. */
export async function GET(): Promise<Response> {
  try {
    const readiness = await checkReadiness({ prisma: getPrisma(), store: getObjectStore() });
    return Response.json(readiness, { status: readiness.ok ? 200 : 503 });
  } catch (err) {
    // Config missing or invalid: not ready, and say why in one line.
    return Response.json({ ok: false, errors: [(err as Error).message] }, { status: 503 });
  }
}
