/**
 * User-written text (captions, comments, bios, names) is stored and returned
 * as plain text: never interpreted as HTML, so markup is kept verbatim and
 * escaping is the renderer's job. What is removed are characters that have no
 * business in it: C0/C1 control characters (newline and tab survive where
 * lines are allowed) and the bidirectional embedding/override/isolate marks
 * that can make text display in a different order than it is stored.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_MULTILINE = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex -- as above
const CONTROL_SINGLE_LINE = /[\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/g;

export function cleanText(s: string, opts: { multiline: boolean }): string {
  const normalized = s.normalize('NFC').replace(/\r\n?/g, '\n');
  if (!opts.multiline)
    return normalized
      .replace(/[\n\t]+/g, ' ')
      .replace(CONTROL_SINGLE_LINE, '')
      .trim();
  return normalized
    .replace(CONTROL_MULTILINE, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
