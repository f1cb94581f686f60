/**
 * An error the user must see. role="alert" makes screen readers announce it as soon as it appears.
 */
export function ErrorAlert({ title, message, id }: { title?: string; message: string; id?: string }) {
  return (
    <div className="alert alert--error" role="alert" id={id}>
      {title ? <strong>{title}</strong> : null}
      {message}
    </div>
  );
}
