import { S3Client } from "@aws-sdk/client-s3";
import type { TConfig } from "../config";

export type TStorageConfig = Pick<
  TConfig,
  "S3_ENDPOINT" | "S3_PUBLIC_ENDPOINT" | "S3_BUCKET" | "S3_REGION" | "S3_ACCESS_KEY_ID" | "S3_SECRET_ACCESS_KEY" | "S3_FORCE_PATH_STYLE"
>;

/**
 * An S3 client that works with AWS S3, MinIO, R2 and s3rver alike.
 * Checksums only WHEN_REQUIRED: with the SDK's default, streamed PutObject bodies are stored with
 * aws-chunked framing by s3rver (corrupt bytes). We verify size and SHA-256 ourselves instead.
 */
export function createS3Client(cfg: TStorageConfig, opts: { public?: boolean } = {}): S3Client {
  const endpoint = opts.public ? (cfg.S3_PUBLIC_ENDPOINT ?? cfg.S3_ENDPOINT) : cfg.S3_ENDPOINT;
  return new S3Client({
    endpoint,
    region: cfg.S3_REGION,
    forcePathStyle: cfg.S3_FORCE_PATH_STYLE,
    credentials: { accessKeyId: cfg.S3_ACCESS_KEY_ID, secretAccessKey: cfg.S3_SECRET_ACCESS_KEY },
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
}
