/** What a blob store does to set a blob aside while a removal decides, in its own medium. */
export interface SetAside {
  /** Moves the key's stored blob aside under a name of this removal's own; undefined if none is stored. */
  setAside(key: string): Promise<string | undefined>;
  /** Copies of the key that removals a crash cut off set aside, but `mine`. */
  leftoversOf(key: string, mine: string | undefined): Promise<string[]>;
  drop(copy: string): Promise<void>;
  /** Puts the first of the copies still there back under the key, and drops the rest. */
  putBack(key: string, copies: string[]): Promise<void>;
}

/**
 * A removal that no new reader can see half done: the blob is set aside first, so an upload of the
 * same bytes meanwhile stores them anew, then the ledger is asked once more (`stillUnused`), and the
 * copy is dropped or put back. Each removal settles the copy it set aside itself, never another's, and
 * finishes what removals a crash cut off left. Whether it removed the blob.
 */
export async function removeSetAside(
  store: SetAside,
  key: string,
  stillUnused: () => Promise<boolean>,
): Promise<boolean> {
  const mine = await store.setAside(key);
  const leftovers = await store.leftoversOf(key, mine);
  if (!mine && leftovers.length === 0) {
    return false;
  }
  let unused = false;
  try {
    unused = await stillUnused();
  } finally {
    if (unused) {
      await Promise.all([mine, ...leftovers].flatMap((copy) => (copy ? [store.drop(copy)] : [])));
    } else {
      await store.putBack(key, mine ? [mine, ...leftovers] : leftovers);
    }
  }
  return unused;
}

/**
 * Ends what removals a crash cut off left aside, for the keys that have copies aside: no removal may
 * come again for a file that is in use, so each goes back under its key (or is dropped where the key
 * holds the same bytes again); one that is unused is removed by the sweep that follows.
 */
export async function settleLeftovers(store: SetAside, keysAside: Iterable<string>): Promise<void> {
  for (const key of keysAside) {
    const leftovers = await store.leftoversOf(key, undefined);
    if (leftovers.length > 0) {
      await store.putBack(key, leftovers);
    }
  }
}
