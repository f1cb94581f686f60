// Liveness only: the process answers. Dependencies are checked by /api/ready.
export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export function GET(): Response {
  return Response.json({ ok: true });
}
