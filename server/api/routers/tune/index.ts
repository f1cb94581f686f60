import { createTRPCRouter } from "../../trpc";
import { createTuneProcedure } from "./create-tune";
import { getTuneProcedure } from "./get-tune";

export const tuneRouter = createTRPCRouter({
  create: createTuneProcedure,
  get: getTuneProcedure,
});
