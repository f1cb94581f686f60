import { handleTrpcRequest } from "../../../../server/api/handler";

// Prisma, pg-boss and the S3 SDK need Node APIs, and every answer depends on the caller.
export const runtime = "nodejs";
export const dynamic = "force-dynamic";

function handler(req: Request): Promise<Response> {
  return handleTrpcRequest(req);
}

export { handler as GET, handler as POST };
