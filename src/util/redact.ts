/** The URL with its password (if any) replaced by `***`, for logs and errors. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    // Not a URL: mask everything up to the last "@", whatever it holds.
    return url.replace(/\/\/.*@/, "//***@");
  }
}
