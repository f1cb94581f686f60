import Link from "next/link";

/** Product mark and name, linking home. */
export function Brand() {
  return (
    <Link href="/models" className="brand" aria-label="Condense home">
      <span className="brand__mark" aria-hidden="true" />
      Condense
    </Link>
  );
}
