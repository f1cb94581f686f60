import { z } from "zod";
import type { Invitation } from "../../../../generated/prisma/client";
import type { TMember } from "../../../services/members/list-members";

export const ZRole = z.enum(["owner", "member"]);

export const ZMemberDto = z.object({ userId: z.string(), email: z.string(), role: z.string(), joinedAt: z.iso.datetime() });
export type TMemberDto = z.infer<typeof ZMemberDto>;

export const ZInvitationDto = z.object({
  id: z.string(),
  email: z.string(),
  role: z.string(),
  createdAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
});
export type TInvitationDto = z.infer<typeof ZInvitationDto>;

/** Maps a member row to its DTO. */
export function toMemberDto(m: TMember): TMemberDto {
  return { userId: m.userId, email: m.email, role: m.role, joinedAt: m.createdAt.toISOString() };
}

/** Maps an Invitation row to its DTO (never the token). */
export function toInvitationDto(i: Invitation): TInvitationDto {
  return { id: i.id, email: i.email, role: i.role, createdAt: i.createdAt.toISOString(), expiresAt: i.expiresAt.toISOString() };
}

export const ZOkResponse = z.object({ ok: z.literal(true) });
