/**
 * Error codes shared by services and the worker. Only `server/api` maps them to tRPC/HTTP.
 */
export const APP_ERROR_CODES = {
  /** The caller's input is wrong; the message says what to change. */
  BAD_INPUT: 400,
  /** No valid session or API key. */
  UNAUTHENTICATED: 401,
  /** Authenticated but not allowed (other workspace, wrong role). */
  FORBIDDEN: 403,
  /** The thing does not exist in the caller's workspace. We never reveal that it exists elsewhere. */
  NOT_FOUND: 404,
  /** The request conflicts with the current state (e.g. canceling a finished job). */
  CONFLICT: 409,
  /** Upload larger than the configured limit. */
  PAYLOAD_TOO_LARGE: 413,
  /** A well-formed request that cannot be processed (e.g. model is not ONNX). */
  UNPROCESSABLE: 422,
  /** Too many requests. */
  RATE_LIMITED: 429,
  /** A bug or an unavailable dependency. The user message stays generic. */
  INTERNAL: 500,
} as const;

export type TAppErrorCode = keyof typeof APP_ERROR_CODES;

/**
 * An error with a code, a log message for operators and a message for the user.
 * `userMessage` says what was wrong with *their* input and what to do.
 */
export class AppError extends Error {
  readonly code: TAppErrorCode;
  readonly userMessage: string;
  readonly details?: Record<string, unknown>;

  constructor(
    code: TAppErrorCode,
    opts: { message?: string; userMessage: string; cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(opts.message ?? opts.userMessage, { cause: opts.cause });
    this.name = "AppError";
    this.code = code;
    this.userMessage = opts.userMessage;
    this.details = opts.details;
  }
}

/** True for AppError instances, also across module copies (Next bundles may duplicate classes). */
export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError || (typeof err === "object" && err !== null && (err as { name?: string }).name === "AppError" && "code" in err && "userMessage" in err);
}
