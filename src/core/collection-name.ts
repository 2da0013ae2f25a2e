import { SluiceError } from './errors.js';

/** What a new collection may be called, over the API and on the command line alike. */
export const collectionNamePattern = /^[\w.-]{1,200}$/;

/** Throws `invalid_input` for a name a new collection may not take. */
export function checkCollectionName(name: string): void {
  if (!collectionNamePattern.test(name)) {
    throw new SluiceError(
      'invalid_input',
      `A collection name is 1 to 200 letters, digits, _ . or -; not ${JSON.stringify(name.slice(0, 60))}`,
    );
  }
}
