import { redirect } from "next/navigation";

/** The portal starts at the model list; the portal layout sends visitors without a session to sign in. */
export default function HomePage() {
  redirect("/models");
}
