import Link from "next/link";

/** Unknown URLs: say so and offer the way back. */
export default function NotFound() {
  return (
    <main className="auth-shell">
      <div className="card auth-card empty">
        <h1>Page not found</h1>
        <p>There is nothing at this address.</p>
        <Link className="button" href="/models">
          Go to your models
        </Link>
      </div>
    </main>
  );
}
