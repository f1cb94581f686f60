/**
 * Uploads the browser started and did not finish (network loss, reload, cancel), remembered in localStorage so the
 * same file dropped again can be resumed: only the missing parts are sent. The part ETags are kept too, because
 * some storage servers (s3rver) cannot list the parts of an upload.
 */

/** One interrupted upload, matched to a dropped file by name, size and lastModified. */
export type TPendingUpload = {
  modelId: string;
  fileName: string;
  sizeBytes: number;
  lastModified: number;
  parts: Array<{ partNumber: number; etag: string }>;
  startedAtMs: number;
};

const STORAGE_KEY = "condense.pendingUploads.v1";
/** Entries older than this are dropped: presigned uploads and their parts do not live forever. */
const MAX_AGE_MS = 7 * 24 * 3600_000;
const MAX_ENTRIES = 20;

type TStore = Pick<Storage, "getItem" | "setItem">;

function getStore(): TStore | undefined {
  try {
    return typeof window === "undefined" ? undefined : window.localStorage;
  } catch {
    return undefined; // storage disabled (private mode, policies): resume is then simply unavailable
  }
}

/** Every remembered upload, newest first, without expired ones. */
export function listPendingUploads(store: TStore | undefined = getStore()): TPendingUpload[] {
  if (!store) return [];
  try {
    const parsed = JSON.parse(store.getItem(STORAGE_KEY) ?? "[]") as TPendingUpload[];
    const now = Date.now();
    return Array.isArray(parsed) ? parsed.filter((u) => u && typeof u.modelId === "string" && now - u.startedAtMs < MAX_AGE_MS) : [];
  } catch {
    return [];
  }
}

function save(entries: TPendingUpload[], store: TStore | undefined): void {
  try {
    store?.setItem(STORAGE_KEY, JSON.stringify(entries.slice(0, MAX_ENTRIES)));
  } catch {
    // Quota exceeded or storage disabled: the upload itself goes on, only resume is lost.
  }
}

/** The remembered upload of this exact file, if any. */
export function findPendingUpload(file: { name: string; size: number; lastModified: number }, store: TStore | undefined = getStore()): TPendingUpload | undefined {
  return listPendingUploads(store).find((u) => u.fileName === file.name && u.sizeBytes === file.size && u.lastModified === file.lastModified);
}

/** Remembers (or replaces) an upload. */
export function rememberPendingUpload(entry: TPendingUpload, store: TStore | undefined = getStore()): void {
  save([entry, ...listPendingUploads(store).filter((u) => u.modelId !== entry.modelId)], store);
}

/** Records a stored part of a remembered upload. */
export function addPendingUploadPart(modelId: string, part: { partNumber: number; etag: string }, store: TStore | undefined = getStore()): void {
  const entries = listPendingUploads(store);
  const entry = entries.find((u) => u.modelId === modelId);
  if (!entry) return;
  entry.parts = [...entry.parts.filter((p) => p.partNumber !== part.partNumber), part];
  save(entries, store);
}

/** Forgets an upload (finished, started over, or dismissed). */
export function forgetPendingUpload(modelId: string, store: TStore | undefined = getStore()): void {
  save(listPendingUploads(store).filter((u) => u.modelId !== modelId), store);
}
