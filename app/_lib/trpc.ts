"use client";

import { createTRPCContext } from "@trpc/tanstack-react-query";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "../../server/api/root";

/**
 * The portal's typed API hooks. Only the router *type* is imported: no server code reaches the browser bundle.
 */
export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<AppRouter>();

/** Response shapes of every procedure, for component props. */
export type TRouterOutputs = inferRouterOutputs<AppRouter>;
