import { AppError } from "../../../contracts/app-error";
import type { TRoleCaller } from "../service-deps";

/** Throws FORBIDDEN unless the caller owns the workspace. */
export function requireOwner(caller: TRoleCaller, action: string): void {
  if (caller.role !== "owner") throw new AppError("FORBIDDEN", { userMessage: `only workspace owners can ${action}` });
}
