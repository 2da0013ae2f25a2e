/**
 * Time-ordered ids (48-bit millisecond time then 80 random bits, base32 as in ULID) so that listing by
 * id is listing by creation, which keeps cursor pagination a plain `id > ?`.
 */
const alphabet = '0123456789abcdefghjkmnpqrstvwxyz';

export function newId(prefix: string, now: number = Date.now(), random: (n: number) => Uint8Array = randomBytes): string {
  let time = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = alphabet.charAt(t % 32) + time;
    t = Math.floor(t / 32);
  }
  let rand = '';
  for (const byte of random(16)) {
    rand += alphabet.charAt(byte % 32);
  }
  return `${prefix}_${time}${rand}`;
}

function randomBytes(n: number): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(n));
}
