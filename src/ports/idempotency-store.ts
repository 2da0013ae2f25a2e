/** An answer recorded under an Idempotency-Key. */
export interface IdempotentResponse {
  /**
   * 0 while the request is recorded but not yet answered (see `DocumentLedger.recordUpload`): a crash
   * may have cut it off there, and a retry is to finish it.
   */
  status: number;
  body: string;
  /** Whatever the caller computed from the request it first answered; '' for answers recorded before fingerprints were kept. */
  fingerprint: string;
}

/** Answers recorded under Idempotency-Keys. */
export interface IdempotencyStore {
  /**
   * The answer first given to a request with this Idempotency-Key, with the fingerprint of that
   * request, if any.
   * @remarks `key` is opaque to the store: callers put in it whatever scopes it (route, target).
   */
  getIdempotentResponse(tenantId: string, key: string): Promise<IdempotentResponse | undefined>;
  /**
   * Records the answer with the fingerprint of the request it answers.
   * @remarks Must be first-writer-wins: returns false, and changes nothing, if an answer is recorded
   * already, unless it is one still to be given (status 0) for the same fingerprint.
   */
  putIdempotentResponse(
    tenantId: string,
    key: string,
    fingerprint: string,
    status: number,
    body: string,
  ): Promise<boolean>;
}
