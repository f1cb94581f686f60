import { handleOpenApiRequest } from "../../../server/api/openapi";

// Generated from the routers' zod schemas at request time (cheap, and always in step with the running code).
export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export function GET(req: Request): Response {
  return handleOpenApiRequest(req);
}
