// When to try a registry request again. Pure: the clock is passed in.
// 429 and 502/503/504 are retried with exponential backoff, or after the server's
// Retry-After, as long as the wait fits in the time left; then the request fails as
// throttled — never "unsigned".

export const RETRIED_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);
export const MAX_ATTEMPTS = 4;
const BASE_DELAY_MS = 250;
const MAX_DELAY_MS = 8000;

export type RetryDecision = { retry: true; delayMs: number } | { retry: false; why: string };

/**
 * `attempt` counts from 1 (the request just made); `retryAfter` is the raw header;
 * `nowMs` and `deadlineMs` are epoch milliseconds.
 */
export function retryDecision(status: number, retryAfter: string | undefined, attempt: number, nowMs: number, deadlineMs: number): RetryDecision {
  if (!RETRIED_STATUSES.has(status)) return { retry: false, why: `status ${status} is not retried` };
  if (attempt >= MAX_ATTEMPTS) return { retry: false, why: `still ${status} after ${attempt} attempts` };
  const asked = parseRetryAfter(retryAfter, nowMs);
  const delayMs = asked ?? Math.min(BASE_DELAY_MS * 2 ** (attempt - 1), MAX_DELAY_MS);
  if (nowMs + delayMs >= deadlineMs) {
    return { retry: false, why: `${status}, and the ${asked !== undefined ? 'Retry-After' : 'backoff'} of ${Math.ceil(delayMs / 1000)} s does not fit in the time left` };
  }
  return { retry: true, delayMs };
}

/** Retry-After is seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}
