import { lookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { isSluiceError, SluiceError } from '../core/errors.js';
import { isPublicAddress } from './public-address.js';

export interface FetchLimits {
  /** Fetch from loopback, private and other non-public addresses too. */
  allowPrivate: boolean;
  /** Most bytes of the body. */
  maxBytes: number;
  /** For the whole fetch: redirects, and the body to its last byte. */
  timeoutMs: number;
}

const maxRedirects = 5;

const refused = (url: URL, address: string): SluiceError =>
  new SluiceError(
    'forbidden',
    `${url.host} is at ${address}, a loopback, private or otherwise non-public address; URLs there are fetched only with SLUICE_MCP_FETCH_PRIVATE=true`,
  );

/**
 * Resolves a host as usual but fails when any of its addresses is not public. It runs where the
 * connection is made, so a name cannot resolve to a public address when checked and another when used.
 */
function publicOnly(url: URL): LookupFunction {
  return (hostname, options, callback) => {
    lookup(hostname, { ...options, all: true }, (error, found: LookupAddress[] | undefined) => {
      const addresses = found ?? [];
      const first = addresses[0];
      const denied = addresses.find((a) => !isPublicAddress(a.address));
      if (error || !first || denied) {
        const why = error ?? (denied ? refused(url, denied.address) : new Error(`${hostname} has no address`));
        callback(why, '', 0);
      } else if (options.all) {
        callback(null, addresses);
      } else {
        callback(null, first.address, first.family);
      }
    });
  };
}

function checkedUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch (error) {
    throw new SluiceError('invalid_input', `Not a URL: ${text.slice(0, 200)}`, { cause: error });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new SluiceError('invalid_input', `Only http and https URLs are fetched, not ${url.protocol}`);
  }
  return url;
}

/** One GET, its headers in; a one-off agent, so its socket closes with the answer and pools nothing. */
function get(url: URL, limits: FetchLimits, signal: AbortSignal): Promise<IncomingMessage> {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  // An address in the URL is never looked up, so it is checked here.
  if (!limits.allowPrivate && isIP(host) !== 0 && !isPublicAddress(host)) {
    return Promise.reject(refused(url, host));
  }
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const request = send(url, {
      agent: false,
      signal,
      headers: { 'user-agent': 'Sluice', accept: '*/*' },
      ...(limits.allowPrivate ? {} : { lookup: publicOnly(url) }),
    });
    request.once('response', resolve);
    request.once('error', reject);
    request.end();
  });
}

async function readBody(response: IncomingMessage, url: URL, maxBytes: number): Promise<Uint8Array> {
  const tooLarge = (): SluiceError =>
    new SluiceError('file_too_large', `${url.href} is larger than the limit of ${maxBytes} bytes`);
  if (Number(response.headers['content-length']) > maxBytes) {
    throw tooLarge();
  }
  const parts: Buffer[] = [];
  let size = 0;
  for await (const part of response as AsyncIterable<Buffer>) {
    size += part.length;
    if (size > maxBytes) {
      throw tooLarge();
    }
    parts.push(part);
  }
  return Buffer.concat(parts);
}

/**
 * Fetches a URL for ingestion, within a size and a time limit, following a few redirects (each
 * checked like the first). Unless `allowPrivate`, refuses (`forbidden`) any address that is not
 * public; what cannot be read is `file_unreadable`, what is too large `file_too_large`.
 */
export async function fetchUrl(address: string, limits: FetchLimits): Promise<Uint8Array> {
  let url = checkedUrl(address);
  const signal = AbortSignal.timeout(limits.timeoutMs);
  for (let redirects = 0; ; redirects++) {
    let response: IncomingMessage | undefined;
    try {
      response = await get(url, limits, signal);
      const status = response.statusCode ?? 0;
      const location = response.headers.location;
      if (status >= 300 && status < 400 && location) {
        if (redirects === maxRedirects) {
          throw new SluiceError('file_unreadable', `${address} redirects more than ${maxRedirects} times`);
        }
        url = checkedUrl(new URL(location, url).href);
        continue;
      }
      if (status < 200 || status >= 300) {
        throw new SluiceError('file_unreadable', `${url.href} answered HTTP ${status}`);
      }
      return await readBody(response, url, limits.maxBytes);
    } catch (error) {
      if (isSluiceError(error)) {
        throw error;
      }
      const why = signal.aborted
        ? `took longer than ${limits.timeoutMs} ms`
        : error instanceof Error
          ? error.message
          : String(error);
      throw new SluiceError('file_unreadable', `Could not fetch ${url.href}: ${why}`, { cause: error });
    } finally {
      // Whatever was not read (a redirect's body, an answer refused) is dropped with its socket.
      response?.destroy();
    }
  }
}
