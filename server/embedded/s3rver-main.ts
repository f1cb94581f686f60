/**
 * Child-process entry for the embedded S3 server. Runs in its own process because s3rver needs
 * `--openssl-legacy-provider` (ListObjectsV2 pagination) and should not share the web server's event loop.
 * Prints one JSON line `{"ready":true,"port":N}` on stdout when listening, or `{"error":"..."}` and exits 1.
 * Ignores SIGINT (Ctrl-C reaches the whole process group; the parent stops us last, with SIGTERM).
 */
import S3rver from "s3rver";
import { installListPartsShim } from "./s3rver-list-parts";

const port = Number(process.env.S3RVER_PORT ?? "0");
const directory = process.env.S3RVER_DIR ?? ".data/s3";
const bucket = process.env.S3RVER_BUCKET ?? "condense";
const corsXml = `<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod><AllowedMethod>HEAD</AllowedMethod><AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>3000</MaxAgeSeconds></CORSRule></CORSConfiguration>`;

const server = new S3rver({
  address: "127.0.0.1",
  port,
  directory,
  silent: true,
  configureBuckets: [{ name: bucket, configs: [corsXml] }],
});
// Resumable uploads list the parts already stored; s3rver has no ListParts of its own.
installListPartsShim(server as unknown as Parameters<typeof installListPartsShim>[0]);
try {
  const address = (await server.run()) as { port: number };
  process.stdout.write(JSON.stringify({ ready: true, port: address.port }) + "\n");
} catch (err) {
  const e = err as NodeJS.ErrnoException;
  const message =
    e.code === "EADDRINUSE"
      ? `port ${port} is already in use: set EMBEDDED_S3_PORT to a free port (embedded S3)`
      : `embedded S3 server failed to start: ${e.message}`;
  process.stdout.write(JSON.stringify({ error: message }) + "\n");
  process.exit(1);
}

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  server.close().finally(() => process.exit(0));
};
process.on("SIGTERM", stop);
process.on("SIGINT", () => undefined);
// Die with the parent: when its stdin pipe closes, the parent is gone.
process.stdin.on("end", stop);
process.stdin.resume();
