/** Command-line flags shared by the bench scripts. */

/** `--name a,b` or `--name=a,b` as a list; undefined when the flag is absent. */
export function readListFlag(argv: string[], name: string): string[] | undefined {
  const i = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i === -1) return undefined;
  const value = argv[i].includes("=") ? argv[i].slice(argv[i].indexOf("=") + 1) : argv[i + 1];
  if (!value) throw new Error(`--${name} needs a value`);
  return value.split(",").map((s) => s.trim()).filter(Boolean);
}
