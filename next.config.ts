import type { NextConfig } from "next";

/**
 * The portal and the API route handlers. Everything runs offline: no remote fonts or images.
 * Server-only packages with native code, WASM or child processes stay outside the bundle and load from node_modules.
 */
const nextConfig: NextConfig = {
  serverExternalPackages: [
    "onnxruntime-node",
    "pg",
    "pg-boss",
    "@prisma/adapter-pg",
    "@node-rs/argon2",
    "pino",
    "s3rver",
    "@electric-sql/pglite",
    "@electric-sql/pglite-socket",
  ],
  // A type error anywhere fails the build: the portal shares its contracts with the API and the worker.
  // CONDENSE_BUILD_SKIP_TYPECHECK=1 skips it where `npm run typecheck` has just checked the same project.
  typescript: { ignoreBuildErrors: process.env.CONDENSE_BUILD_SKIP_TYPECHECK === "1" },
  // infra/docker/web.Dockerfile ships .next/standalone (a traced, minimal server).
  output: "standalone",
  poweredByHeader: false,
  reactStrictMode: true,
};

export default nextConfig;
