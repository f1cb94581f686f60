#!/usr/bin/env node
// The `condense` command. Registers tsx so the TypeScript sources run as they are, then hands over to cli/main.ts.
import { register } from "tsx/esm/api";
import { fileURLToPath, pathToFileURL } from "node:url";
import path from "node:path";

register();
const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const { main } = await import(pathToFileURL(path.join(root, "cli", "main.ts")).href);
await main(process.argv.slice(2));
