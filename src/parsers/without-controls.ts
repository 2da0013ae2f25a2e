/** C0 controls but tab, line feed and carriage return; DEL; C1 controls. */
// eslint-disable-next-line no-control-regex -- control characters are what these look for
const controls = /[\u0000-\u0008\u000b\u000e-\u001f\u007f-\u009f]/g;
// eslint-disable-next-line no-control-regex -- as above
const anyControl = /[\u0000-\u0008\u000b\u000e-\u001f\u007f-\u009f]/;

/**
 * Text without control characters, which some PDF producers and old files leave in: they carry no
 * meaning a reader sees and disturb tokenizers and embedders. A form feed (a page break in text files)
 * becomes a line break.
 */
export function withoutControls(text: string): string {
  const paged = text.includes('\f') ? text.replaceAll('\f', '\n') : text;
  return anyControl.test(paged) ? paged.replace(controls, '') : paged;
}
