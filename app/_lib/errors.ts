import { TRPCClientError } from "@trpc/client";

/**
 * The message to show a user for a failed call. The API's error formatter puts the AppError's `userMessage` in
 * the tRPC message, so it can be shown as-is; network failures get a hint instead of "Failed to fetch".
 */
export function getUserMessage(err: unknown): string {
  if (err instanceof TRPCClientError) {
    if (err.message === "Failed to fetch" || err.message.startsWith("NetworkError")) {
      return "the server could not be reached: check your connection and try again";
    }
    return err.message;
  }
  if (err instanceof Error) return err.message;
  return "something went wrong: try again";
}

/** True when the API says the caller has no valid session (never signed in, signed out or expired). */
export function isUnauthenticatedError(err: unknown): boolean {
  return err instanceof TRPCClientError && (err.data as { code?: string } | undefined)?.code === "UNAUTHORIZED";
}
