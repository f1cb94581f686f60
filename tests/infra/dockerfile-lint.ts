/**
 * A few Dockerfile rules of our own (hadolint does not install here): every base image pinned to a version tag,
 * multi-stage, the final stage runs as a non-root user and has a HEALTHCHECK, no ADD of remote URLs.
 */

export type TDockerLintProblem = { line: number; rule: string; message: string };

/** Joins backslash-continued lines, keeping the line number of each instruction's first line. */
function readInstructions(text: string): { line: number; keyword: string; args: string }[] {
  const out: { line: number; keyword: string; args: string }[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let current = lines[i]!;
    if (/^\s*(#.*)?$/.test(current)) continue;
    while (current.trimEnd().endsWith("\\") && i + 1 < lines.length) {
      current = current.trimEnd().slice(0, -1) + " " + lines[++i]!.trim();
    }
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(current);
    if (m) out.push({ line: start + 1, keyword: m[1]!.toUpperCase(), args: m[2]!.trim() });
  }
  return out;
}

/** True for an image reference with a version tag (not "latest") or a digest. */
export function isPinnedImage(ref: string): boolean {
  if (ref.includes("@sha256:")) return true;
  const lastSegment = ref.split("/").pop()!;
  const tag = lastSegment.includes(":") ? lastSegment.split(":").pop()! : "";
  return tag !== "" && tag !== "latest" && !tag.startsWith("$");
}

/** Lints one Dockerfile; an empty list means it passes. */
export function lintDockerfile(text: string): TDockerLintProblem[] {
  const problems: TDockerLintProblem[] = [];
  const instructions = readInstructions(text);
  const stages: string[] = [];
  let finalStageStart = -1;
  instructions.forEach((ins, idx) => {
    if (ins.keyword === "FROM") {
      const parts = ins.args.split(/\s+/).filter((p) => !p.startsWith("--"));
      const image = parts[0]!;
      const alias = parts[1]?.toUpperCase() === "AS" ? parts[2] : undefined;
      if (!stages.includes(image) && !isPinnedImage(image)) {
        problems.push({ line: ins.line, rule: "pinned-base", message: `base image "${image}" must be pinned to a version tag or digest` });
      }
      if (alias) stages.push(alias);
      finalStageStart = idx;
    }
    if (ins.keyword === "COPY") {
      const from = /--from=(\S+)/.exec(ins.args)?.[1];
      if (from && !stages.includes(from) && !/^\d+$/.test(from) && !isPinnedImage(from)) {
        problems.push({ line: ins.line, rule: "pinned-base", message: `COPY --from image "${from}" must be pinned` });
      }
    }
    if (ins.keyword === "ADD" && /(^|\s)(https?|ftp):\/\//i.test(ins.args)) {
      problems.push({ line: ins.line, rule: "no-add-url", message: "ADD of a URL: download in a RUN step with a checksum, or COPY" });
    }
  });
  const countFrom = instructions.filter((i) => i.keyword === "FROM").length;
  if (countFrom === 0) problems.push({ line: 1, rule: "from", message: "no FROM instruction" });
  if (countFrom < 2) problems.push({ line: 1, rule: "multi-stage", message: "use a build stage so the final image carries no build tools" });
  const finalStage = instructions.slice(finalStageStart);
  const users = finalStage.filter((i) => i.keyword === "USER");
  const lastUser = users.at(-1)?.args.split(":")[0];
  if (!lastUser) problems.push({ line: instructions.at(-1)?.line ?? 1, rule: "non-root", message: "the final stage must set a non-root USER" });
  else if (lastUser === "root" || lastUser === "0") problems.push({ line: users.at(-1)!.line, rule: "non-root", message: "the final USER is root" });
  else if (!/^\d+$/.test(lastUser)) problems.push({ line: users.at(-1)!.line, rule: "numeric-user", message: "USER should be numeric so Kubernetes can verify runAsNonRoot" });
  const healthchecks = finalStage.filter((i) => i.keyword === "HEALTHCHECK");
  if (healthchecks.length === 0 || healthchecks.at(-1)!.args.toUpperCase().startsWith("NONE")) {
    problems.push({ line: instructions.at(-1)?.line ?? 1, rule: "healthcheck", message: "the final stage needs a HEALTHCHECK" });
  }
  return problems;
}
