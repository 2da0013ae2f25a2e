/**
 * Time-ordered ids (48-bit millisecond time then 80 random bits, base32 as in ULID) so that listing by
 * id is listing by creation, which keeps cursor pagination a plain `id > ?`. Within one millisecond
 * the random part counts up, so ids made by one process are strictly increasing.
 */
const alphabet = '0123456789abcdefghjkmnpqrstvwxyz';
let lastTime = -1;
let lastRandom: number[] = [];

export function newId(prefix: string, now: number = Date.now()): string {
  if (now <= lastTime) {
    increment(lastRandom);
  } else {
    lastTime = now;
    lastRandom = [...globalThis.crypto.getRandomValues(new Uint8Array(16))].map((byte) => byte % 32);
  }
  let time = '';
  let t = lastTime;
  for (let i = 0; i < 10; i++) {
    time = alphabet.charAt(t % 32) + time;
    t = Math.floor(t / 32);
  }
  return `${prefix}_${time}${lastRandom.map((digit) => alphabet.charAt(digit)).join('')}`;
}

function increment(digits: number[]): void {
  for (let i = digits.length - 1; i >= 0; i--) {
    const next = (digits[i] as number) + 1;
    digits[i] = next % 32;
    if (next < 32) {
      return;
    }
  }
}
