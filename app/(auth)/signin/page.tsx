import type { Metadata } from "next";
import { AuthForm } from "../../_components/auth-form";

export const metadata: Metadata = { title: "Sign in" };

/** Sign in with email and password; on success the user lands on /models. */
export default function SignInPage() {
  return <AuthForm mode="signin" />;
}
