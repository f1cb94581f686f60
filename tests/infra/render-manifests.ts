/**
 * A minimal kustomize renderer for the checks in this folder (no kustomize binary installs here): follows
 * `resources` and `components` recursively and applies `namespace` and `images`. The base uses nothing else
 * (no patches, generators or name prefixes), and manifests.test.ts fails if that changes.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

export const INFRA_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../infra");

export type TManifest = { kind: string; apiVersion: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; spec?: any; [k: string]: any };

const SUPPORTED_KEYS = new Set(["apiVersion", "kind", "resources", "components", "namespace", "images", "labels"]);

/** Parses every YAML document of a file; YAML errors throw with the file name. */
export function readYamlDocuments(file: string): any[] {
  // merge: compose files use YAML merge keys (`<<: *anchor`).
  const docs = parseAllDocuments(readFileSync(file, "utf8"), { merge: true });
  const out: any[] = [];
  for (const d of docs) {
    if (d.errors.length > 0) throw new Error(`${file}: ${d.errors.map((e) => e.message).join("; ")}`);
    const value = d.toJS();
    if (value !== null && value !== undefined) out.push(value);
  }
  return out;
}

type TImage = { name: string; newName?: string; newTag?: string };

/** Renders a kustomization folder into its list of objects. */
export function renderKustomization(dir: string): TManifest[] {
  const [k] = readYamlDocuments(path.join(dir, "kustomization.yaml"));
  for (const key of Object.keys(k)) if (!SUPPORTED_KEYS.has(key)) throw new Error(`${dir}: kustomization key "${key}" is not supported by this renderer`);
  const objects: TManifest[] = [];
  for (const entry of [...(k.resources ?? []), ...(k.components ?? [])] as string[]) {
    const target = path.resolve(dir, entry);
    if (entry.endsWith(".yaml") || entry.endsWith(".yml")) objects.push(...(readYamlDocuments(target) as TManifest[]));
    else objects.push(...renderKustomization(target));
  }
  const images = (k.images ?? []) as TImage[];
  for (const o of objects) {
    if (k.namespace && o.kind !== "Namespace") o.metadata.namespace = k.namespace;
    for (const c of listContainers(o)) {
      const img = images.find((i) => i.name === c.image);
      if (img) c.image = `${img.newName ?? img.name}:${img.newTag ?? "latest"}`;
    }
  }
  return objects;
}

/** Pod spec of a Deployment/Job/StatefulSet/DaemonSet, or undefined. */
export function getPodSpec(o: TManifest): any | undefined {
  return ["Deployment", "StatefulSet", "DaemonSet", "Job"].includes(o.kind) ? o.spec?.template?.spec : undefined;
}

/** All containers (init included) of a workload object. */
export function listContainers(o: TManifest): any[] {
  const pod = getPodSpec(o);
  return pod ? [...(pod.initContainers ?? []), ...(pod.containers ?? [])] : [];
}
