/**
 * S3 ListParts for s3rver, which does not implement it (GET ?uploadId answers MethodNotAllowed): a Koa middleware
 * put in front of s3rver's router that lists the part files s3rver keeps for an upload. Installed by the embedded
 * S3 server (s3rver-main.ts), so resume via models.listUploadParts works there as on AWS S3 / MinIO / R2;
 * tested by tests/integration/upload-resume-list-parts.test.ts.
 */
import { createHash } from "node:crypto";
import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";

type TKoaContext = {
  method: string;
  path: string;
  query: Record<string, string | string[] | undefined>;
  status: number;
  type: string;
  body: unknown;
};
type TS3rverLike = {
  middleware: Array<(ctx: TKoaContext, next: () => Promise<void>) => Promise<void> | void>;
  store: { getResourcePath: (bucket: string, key: string | undefined, resource: string) => string };
};

const xmlEscape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** Installs ListParts (GET /bucket/key?uploadId=…, no partNumber) on an s3rver instance that has not started yet. */
export function installListPartsShim(server: TS3rverLike): void {
  server.middleware.unshift(async (ctx, next) => {
    const uploadId = ctx.query.uploadId;
    if (ctx.method !== "GET" || typeof uploadId !== "string" || ctx.query.partNumber !== undefined || !/^[0-9a-f]+$/i.test(uploadId)) {
      return next();
    }
    const [bucket, ...keyParts] = decodeURIComponent(ctx.path.replace(/^\/+/, "")).split("/");
    // The bucket becomes a folder name: only S3's own bucket-name alphabet, never "." or ".." segments.
    if (!bucket || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket) || bucket.includes("..")) return next();
    const dir = path.join(server.store.getResourcePath(bucket!, undefined, "uploads"), uploadId);
    const names = await readdir(dir).catch(() => undefined);
    if (!names) {
      ctx.status = 404;
      ctx.type = "application/xml";
      ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message></Error>`;
      return;
    }
    const parts = [];
    for (const name of names.filter((n) => /^\d+$/.test(n)).sort((a, b) => Number(a) - Number(b))) {
      const file = path.join(dir, name);
      const [bytes, info] = await Promise.all([readFile(file), stat(file)]);
      parts.push(
        `<Part><PartNumber>${name}</PartNumber><LastModified>${info.mtime.toISOString()}</LastModified><ETag>"${createHash("md5").update(bytes).digest("hex")}"</ETag><Size>${info.size}</Size></Part>`,
      );
    }
    ctx.status = 200;
    ctx.type = "application/xml";
    ctx.body =
      `<?xml version="1.0" encoding="UTF-8"?>\n<ListPartsResult><Bucket>${xmlEscape(bucket!)}</Bucket><Key>${xmlEscape(keyParts.join("/"))}</Key>` +
      `<UploadId>${uploadId}</UploadId><MaxParts>10000</MaxParts><IsTruncated>false</IsTruncated>${parts.join("")}</ListPartsResult>`;
  });
}
