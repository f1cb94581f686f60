import type { Metadata } from "next";
import { AuthForm } from "../../_components/auth-form";

export const metadata: Metadata = { title: "Create account" };

/** Create an account (and its personal workspace); on success the user lands on /models. */
export default function SignUpPage() {
  return <AuthForm mode="signup" />;
}
