/** C0 and C1 controls, and the marks and embeddings that reorder text on screen (`rtl\u202etxt.exe`). */
// eslint-disable-next-line no-control-regex
const hidden = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const maxStep = 255;
const maxName = 1024;

/**
 * Names from clients are labels, never paths: the blob store is content-addressed. A name may say
 * where the file sat below the folder uploaded (`faq/index.txt`, as `sluice ingest --server` sends
 * it), so that files of one base name in different folders stay different documents; it keeps its
 * folders, with `/` between them, and loses empty, `.` and `..` steps, leading dots, control
 * characters and bidirectional overrides, so it stays readable, shows as what it is, and is free of
 * traversal.
 */
export function sanitizeFilename(name: string | undefined): string {
  const steps = (name ?? '')
    .split(/[/\\]/)
    .map((step) => cutKeepingExtension(step.replace(hidden, '').replace(/^\.+/, '').trim(), maxStep))
    .filter((step) => step.length > 0);
  const joined = steps.join('/');
  // Too long: the end is kept (the file's own name), from the first whole step that fits.
  const clean = joined.length > maxName ? joined.slice(joined.indexOf('/', joined.length - maxName - 1) + 1) : joined;
  return clean || 'upload';
}

/** The extension decides the format of some files (`.csv`, `.md`), so a long name loses its middle. */
function cutKeepingExtension(step: string, max: number): string {
  const chars = Array.from(step);
  if (chars.length <= max) {
    return step;
  }
  const dot = step.lastIndexOf('.');
  const extension = dot > 0 ? Array.from(step.slice(dot)) : [];
  const kept = extension.length > 0 && extension.length <= 16 ? extension : [];
  return chars.slice(0, max - kept.length).join('') + kept.join('');
}
