import { SluiceError } from './errors.js';

/**
 * Metadata read from where a file sits: a template of folder names such as `{lang}/{section}` names
 * the first folders of each file's path below the folder ingested (`en-US/admin/x.html` gives
 * `lang: "en-US", section: "admin"`); `*` skips a folder. A file in fewer folders gets none of them.
 */
export function pathMetadataReader(template: string): (relativePath: string) => Record<string, string> {
  const steps = template.split('/').filter((step) => step !== '');
  const names = steps.map((step) => {
    if (step === '*') {
      return undefined;
    }
    const name = /^\{([\p{L}\p{N}_][\p{L}\p{N}_.:-]{0,63})\}$/u.exec(step)?.[1];
    if (!name) {
      throw new SluiceError(
        'invalid_input',
        `--path-metadata "${template}": each folder is {name} or *, names made of letters, digits and _ . : -`,
      );
    }
    return name;
  });
  if (names.every((name) => name === undefined)) {
    throw new SluiceError('invalid_input', `--path-metadata "${template}" names no field, as in {lang}/{section}`);
  }
  return (relativePath) => {
    const folders = relativePath.split('/').slice(0, -1);
    // A file above the folder ingested (given by a path outside it) has no folders to name.
    if (folders.length < names.length || folders.slice(0, names.length).some((f) => f === '..' || f === '.')) {
      return {};
    }
    const fields: Record<string, string> = {};
    names.forEach((name, i) => {
      if (name !== undefined) {
        fields[name] = folders[i] as string;
      }
    });
    return fields;
  };
}

/** `key=value` pairs (`--metadata team=infra`) as metadata; a key given twice holds the list of its values. */
export function metadataOfPairs(pairs: readonly string[]): Record<string, string | string[]> {
  const metadata: Record<string, string | string[]> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) {
      throw new SluiceError('invalid_input', `--metadata "${pair}" must read key=value`);
    }
    const key = pair.slice(0, at).trim();
    const value = pair.slice(at + 1);
    const earlier = metadata[key];
    metadata[key] = earlier === undefined ? value : [...(Array.isArray(earlier) ? earlier : [earlier]), value];
  }
  return metadata;
}
