import { AppError } from "../../../contracts/app-error";
import type { Prisma } from "../../../generated/prisma/client";
import { formatBytes } from "../models/create-upload";
import type { TServiceCaller, TServiceDeps } from "../service-deps";

/** Bytes the workspace stores: its models (declared size while uploading) and published artifacts. */
export async function measureStorageBytes(prisma: Prisma.TransactionClient, workspaceId: string): Promise<number> {
  const [models, artifacts, datasets] = await Promise.all([
    prisma.model.aggregate({ where: { workspaceId }, _sum: { sizeBytes: true } }),
    prisma.artifact.aggregate({ where: { workspaceId }, _sum: { sizeBytes: true } }),
    prisma.dataset.aggregate({ where: { workspaceId }, _sum: { sizeBytes: true } }),
  ]);
  return Number(models._sum.sizeBytes ?? 0n) + Number(artifacts._sum.sizeBytes ?? 0n) + Number(datasets._sum.sizeBytes ?? 0n);
}

/** Throws FORBIDDEN when storing `addBytes` more would exceed QUOTA_STORAGE_BYTES (0 = no quota). */
export async function assertStorageQuota(deps: Pick<TServiceDeps, "prisma" | "config">, caller: TServiceCaller, addBytes: number): Promise<void> {
  const quota = deps.config.QUOTA_STORAGE_BYTES;
  if (quota <= 0) return;
  const used = await measureStorageBytes(deps.prisma, caller.workspaceId);
  if (used + addBytes > quota) {
    throw new AppError("FORBIDDEN", {
      userMessage: `storage quota exceeded: the workspace stores ${formatBytes(used)} of ${formatBytes(quota)}, and this upload needs ${formatBytes(addBytes)} more: delete models or ask your administrator to raise QUOTA_STORAGE_BYTES`,
      details: { quotaBytes: quota, usedBytes: used, requestedBytes: addBytes },
    });
  }
}

/**
 * Throws RATE_LIMITED when the workspace already has QUOTA_CONCURRENT_JOBS jobs queued or running (0 = no quota).
 * Call it inside the transaction that inserts the job, after `lockWorkspaceJobs`, so two requests cannot both pass.
 */
export async function assertConcurrentJobsQuota(tx: Prisma.TransactionClient, quota: number, workspaceId: string): Promise<void> {
  if (quota <= 0) return;
  const active = await tx.job.count({ where: { workspaceId, state: { in: ["queued", "running"] } } });
  if (active >= quota) {
    throw new AppError("RATE_LIMITED", {
      userMessage: `too many jobs at once: the workspace has ${active} queued or running (the limit is ${quota}): wait for one to finish or cancel one`,
      details: { quota, active },
    });
  }
}

/** Serialises job creation per workspace for the rest of the transaction (quota check + idempotency key). */
export async function lockWorkspaceJobs(tx: Prisma.TransactionClient, workspaceId: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`jobs:${workspaceId}`}))`;
}
