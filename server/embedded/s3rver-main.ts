/**
 * Child-process entry for the embedded S3 server. Runs in its own process because s3rver needs
 * `--openssl-legacy-provider` (ListObjectsV2 pagination) and should not share the web server's event loop.
 * Prints one JSON line `{"ready":true,"port":N}` on stdout when listening.
 */
import S3rver from "s3rver";

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
const address = (await server.run()) as { port: number };
process.stdout.write(JSON.stringify({ ready: true, port: address.port }) + "\n");

const stop = () => {
  server.close().finally(() => process.exit(0));
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
// Die with the parent: when its stdin pipe closes, the parent is gone.
process.stdin.on("end", stop);
process.stdin.resume();
