import { createHash, randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  HeadBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { getConfig, type TConfig } from "../config";
import { createS3Client } from "./s3-client";

/**
 * The platform's object storage: one bucket, keys built only by the helpers below.
 * Keys embed a random token because some S3-compatible servers (s3rver) do not check signatures:
 * knowing a model id must never be enough to fetch its bytes.
 */
export type TObjectStore = {
  client: S3Client;
  /** Client whose presigned URLs the browser/CLI can reach (S3_PUBLIC_ENDPOINT). */
  publicClient: S3Client;
  bucket: string;
};

export function createObjectStore(cfg: TConfig): TObjectStore {
  return { client: createS3Client(cfg), publicClient: createS3Client(cfg, { public: true }), bucket: cfg.S3_BUCKET };
}

const globalForStore = globalThis as unknown as { condenseObjectStore?: TObjectStore };
/** The process-wide store from the environment config. */
export function getObjectStore(): TObjectStore {
  globalForStore.condenseObjectStore ??= createObjectStore(getConfig());
  return globalForStore.condenseObjectStore;
}

/** Unguessable suffix for storage keys. */
export function createKeyToken(): string {
  return randomBytes(16).toString("hex");
}

/** Key of an uploaded model. */
export function buildModelKey(workspaceId: string, modelId: string, token: string): string {
  return `ws/${workspaceId}/models/${modelId}-${token}/model.onnx`;
}

/** Key of an uploaded dataset; `fileName` must already be one safe path segment (`toSafeFileName`). */
export function buildDatasetKey(workspaceId: string, datasetId: string, token: string, fileName: string): string {
  return `ws/${workspaceId}/datasets/${datasetId}-${token}/${fileName}`;
}

/** Folder of one job attempt's outputs; only the attempt that wins publication gets Artifact rows. */
export function buildAttemptPrefix(workspaceId: string, jobId: string, attempt: number, token: string): string {
  return `ws/${workspaceId}/jobs/${jobId}/attempt-${attempt}-${token}/`;
}

export async function putObject(store: TObjectStore, key: string, body: Uint8Array, contentType: string): Promise<{ sizeBytes: number; sha256: string }> {
  await store.client.send(
    new PutObjectCommand({ Bucket: store.bucket, Key: key, Body: body, ContentType: contentType, ContentLength: body.byteLength }),
  );
  return { sizeBytes: body.byteLength, sha256: createHash("sha256").update(body).digest("hex") };
}

/** Streams an object's bytes (Range optional as "bytes=a-b"). */
export async function getObjectStream(store: TObjectStore, key: string, range?: string): Promise<Readable> {
  const res = await store.client.send(new GetObjectCommand({ Bucket: store.bucket, Key: key, Range: range }));
  return res.Body as Readable;
}

/** Reads a whole object into memory. */
export async function getObjectBytes(store: TObjectStore, key: string): Promise<Uint8Array> {
  const res = await store.client.send(new GetObjectCommand({ Bucket: store.bucket, Key: key }));
  return res.Body!.transformToByteArray();
}

/** Size of an object, or undefined when it does not exist. */
export async function headObjectSize(store: TObjectStore, key: string): Promise<number | undefined> {
  try {
    const res = await store.client.send(new HeadObjectCommand({ Bucket: store.bucket, Key: key }));
    return res.ContentLength;
  } catch (err) {
    const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === 404) return undefined;
    throw err;
  }
}

/** Deletes every object under a prefix (used to drop a losing or canceled attempt's files). */
export async function deletePrefix(store: TObjectStore, prefix: string): Promise<number> {
  let deleted = 0;
  let token: string | undefined;
  do {
    const page = await store.client.send(new ListObjectsV2Command({ Bucket: store.bucket, Prefix: prefix, ContinuationToken: token }));
    const keys = (page.Contents ?? []).map((o) => ({ Key: o.Key! }));
    if (keys.length > 0) {
      await store.client.send(new DeleteObjectsCommand({ Bucket: store.bucket, Delete: { Objects: keys, Quiet: true } }));
      deleted += keys.length;
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return deleted;
}

/** A time-limited download URL that names the file for the browser. */
export async function presignGetUrl(store: TObjectStore, key: string, filename: string, expiresInSeconds = 900): Promise<string> {
  const safeName = filename.replace(/[^\w.\-]/g, "_");
  return getSignedUrl(
    store.publicClient,
    new GetObjectCommand({ Bucket: store.bucket, Key: key, ResponseContentDisposition: `attachment; filename="${safeName}"` }),
    { expiresIn: expiresInSeconds },
  );
}

/** Starts a multipart upload for a key and returns its upload id. */
export async function createMultipartUpload(store: TObjectStore, key: string, contentType: string): Promise<string> {
  const res = await store.client.send(new CreateMultipartUploadCommand({ Bucket: store.bucket, Key: key, ContentType: contentType }));
  if (!res.UploadId) throw new Error(`storage returned no upload id for ${key}`);
  return res.UploadId;
}

/**
 * A time-limited URL the browser/CLI PUTs one part's bytes to (signed with the public endpoint).
 * Re-signing a part is how a failed part is retried: the server keeps no per-part state.
 */
export async function presignUploadPartUrl(
  store: TObjectStore,
  key: string,
  uploadId: string,
  partNumber: number,
  expiresInSeconds = 3600,
): Promise<string> {
  return getSignedUrl(
    store.publicClient,
    new UploadPartCommand({ Bucket: store.bucket, Key: key, UploadId: uploadId, PartNumber: partNumber }),
    { expiresIn: expiresInSeconds },
  );
}

/** Completes a multipart upload from the parts' ETags (sorted by part number here, as S3 requires). */
export async function completeMultipartUpload(
  store: TObjectStore,
  key: string,
  uploadId: string,
  parts: ReadonlyArray<{ partNumber: number; etag: string }>,
): Promise<void> {
  const sorted = [...parts].sort((a, b) => a.partNumber - b.partNumber);
  await store.client.send(
    new CompleteMultipartUploadCommand({
      Bucket: store.bucket,
      Key: key,
      UploadId: uploadId,
      MultipartUpload: { Parts: sorted.map((p) => ({ PartNumber: p.partNumber, ETag: p.etag })) },
    }),
  );
}

/**
 * Aborts a multipart upload, best effort: s3rver answers MethodNotAllowed, and an upload that is
 * already gone is not an error for a cleanup path.
 */
export async function abortMultipartUpload(store: TObjectStore, key: string, uploadId: string): Promise<void> {
  try {
    await store.client.send(new AbortMultipartUploadCommand({ Bucket: store.bucket, Key: key, UploadId: uploadId }));
  } catch {
    // Cleanup only; the caller's outcome does not depend on it.
  }
}

/** Deletes one object; deleting a missing key succeeds (S3 semantics). */
export async function deleteObject(store: TObjectStore, key: string): Promise<void> {
  await store.client.send(new DeleteObjectCommand({ Bucket: store.bucket, Key: key }));
}

/** Throws when the bucket is unreachable or missing (readiness probe). */
export async function checkBucket(store: TObjectStore): Promise<void> {
  await store.client.send(new HeadBucketCommand({ Bucket: store.bucket }));
}
