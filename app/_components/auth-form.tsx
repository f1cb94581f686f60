"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { TRPCClientError } from "@trpc/client";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useId, useState, type FormEvent } from "react";
import { getUserMessage } from "../_lib/errors";
import { useTRPC } from "../_lib/trpc";
import { ErrorAlert } from "./error-alert";

type TMode = "signin" | "signup";

const COPY: Record<TMode, { title: string; subtitle: string; submit: string; busy: string }> = {
  signin: { title: "Sign in", subtitle: "Welcome back.", submit: "Sign in", busy: "Signing in…" },
  signup: { title: "Create your account", subtitle: "Compress ONNX models in your browser.", submit: "Create account", busy: "Creating account…" },
};

/** Per-field messages from the API's flattened zod error, when it sent one. */
function getFieldErrors(err: unknown): Partial<Record<"email" | "password", string>> {
  if (!(err instanceof TRPCClientError)) return {};
  const fieldErrors = (err.data as { zodError?: { fieldErrors?: Record<string, string[] | undefined> } | null } | undefined)?.zodError?.fieldErrors;
  return { email: fieldErrors?.email?.[0], password: fieldErrors?.password?.[0] };
}

/**
 * Where to go after signing in: `?next=/path` from a page that needed a session (e.g. an invite link).
 * Only same-origin paths: an open redirect would let a crafted link send users elsewhere after sign-in.
 */
function readNextPath(): string | undefined {
  if (typeof window === "undefined") return undefined;
  const next = new URLSearchParams(window.location.search).get("next");
  return next && next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/\\") ? next : undefined;
}

/**
 * Email + password form for sign-in and sign-up. The session arrives as an httpOnly cookie; then we go to /models.
 */
export function AuthForm({ mode }: { mode: TMode }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const ids = { email: useId(), password: useId(), passwordHint: useId(), error: useId() };
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const copy = COPY[mode];

  const onSuccess = () => {
    // Anything cached belonged to the previous (or no) session.
    queryClient.clear();
    router.replace(readNextPath() ?? "/models");
    router.refresh();
  };
  const signIn = useMutation(trpc.auth.signIn.mutationOptions({ onSuccess }));
  const signUp = useMutation(trpc.auth.signUp.mutationOptions({ onSuccess }));
  const mutation = mode === "signin" ? signIn : signUp;
  const fieldErrors = getFieldErrors(mutation.error);

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    mutation.mutate({ email, password });
  };

  return (
    <div className="card">
      <h1>{copy.title}</h1>
      <p className="muted">{copy.subtitle}</p>
      <form className="form" onSubmit={onSubmit} aria-describedby={mutation.error ? ids.error : undefined}>
        {mutation.error ? <ErrorAlert id={ids.error} message={getUserMessage(mutation.error)} /> : null}
        <div className="field">
          <label htmlFor={ids.email}>Email</label>
          <input
            id={ids.email}
            className="input"
            type="email"
            name="email"
            autoComplete="email"
            required
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            aria-invalid={fieldErrors.email ? true : undefined}
          />
          {fieldErrors.email ? <span className="field__error">{fieldErrors.email}</span> : null}
        </div>
        <div className="field">
          <label htmlFor={ids.password}>Password</label>
          <input
            id={ids.password}
            className="input"
            type="password"
            name="password"
            autoComplete={mode === "signin" ? "current-password" : "new-password"}
            required
            minLength={mode === "signup" ? 8 : undefined}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            aria-describedby={mode === "signup" ? ids.passwordHint : undefined}
            aria-invalid={fieldErrors.password ? true : undefined}
          />
          {mode === "signup" ? (
            <span className="field__hint" id={ids.passwordHint}>
              At least 8 characters.
            </span>
          ) : null}
          {fieldErrors.password ? <span className="field__error">{fieldErrors.password}</span> : null}
        </div>
        <button className="button button--block" type="submit" disabled={mutation.isPending || mutation.isSuccess}>
          {mutation.isPending || mutation.isSuccess ? copy.busy : copy.submit}
        </button>
      </form>
      <p className="auth-card__footer">
        {mode === "signin" ? (
          <>
            New to Condense? <Link href="/signup">Create an account</Link>
          </>
        ) : (
          <>
            Already have an account? <Link href="/signin">Sign in</Link>
          </>
        )}
      </p>
    </div>
  );
}
