/**
 * Display formatting only: bytes, cores, dates. No decision is taken here; what is
 * shown, its state and level, and every message come from the server.
 */

const GB = 1024 ** 3;
const UNITS = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];

/** A number with at most `digits` decimals and no trailing zeros: 1.50 → "1.5". */
export function trimNumber(value: number, digits = 1): string {
  if (!Number.isFinite(value)) {
    return '–';
  }
  return String(Number(value.toFixed(digits)));
}

/** Cores: 0.4, 4, 1.5. */
export function formatCores(cores: number | null | undefined): string {
  return cores === null || cores === undefined ? '–' : trimNumber(cores, 1);
}

/** Bytes as GB (1024³, as the site counts RAM), without the unit: 1.1, 8. */
export function formatGB(bytes: number | null | undefined): string {
  return bytes === null || bytes === undefined
    ? '–'
    : trimNumber(bytes / GB, 1);
}

/** Bytes with the largest unit that keeps the number ≥ 1: "812 MB", "1.2 TB". */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) {
    return '–';
  }
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${trimNumber(value, value < 10 && unit > 0 ? 1 : 0)} ${UNITS[unit]}`;
}

/** A fraction as a bar width, clamped to 0..100 %. */
export function percent(
  part: number | null | undefined,
  whole: number | null | undefined
): number {
  if (!part || !whole || whole <= 0) {
    return 0;
  }
  return Math.max(0, Math.min(100, (part / whole) * 100));
}

function toDate(value: string | number): Date {
  return typeof value === 'number' ? new Date(value * 1000) : new Date(value);
}

/**
 * An ISO date (or seconds since the epoch) in the user's locale and time zone, with its
 * weekday: the hover of a relative time ("in 7 days" → "Wed, Dec 9, 2026, 3:11 AM").
 */
export function formatDate(value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === '') {
    return '–';
  }
  const date = toDate(value);
  if (Number.isNaN(date.getTime())) {
    return String(value);
  }
  return date.toLocaleString(undefined, {
    weekday: 'short',
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: 'numeric',
    minute: '2-digit'
  });
}

/** "3 minutes ago", "in 6 days", with the browser's own wording. */
export function formatRelative(
  value: string | number | null | undefined
): string {
  if (value === null || value === undefined || value === '') {
    return '–';
  }
  const seconds = (toDate(value).getTime() - Date.now()) / 1000;
  if (Number.isNaN(seconds)) {
    return String(value);
  }
  return formatSpan(seconds);
}

/** A span of seconds from now ("in 6 days", "2 hours ago"), in the browser's words. */
export function formatSpan(seconds: number): string {
  const steps: [Intl.RelativeTimeFormatUnit, number][] = [
    ['second', 60],
    ['minute', 60],
    ['hour', 24],
    ['day', 365],
    ['year', Infinity]
  ];
  let amount = seconds;
  for (const [unit, size] of steps) {
    if (Math.abs(amount) < size) {
      return new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' }).format(
        Math.round(amount),
        unit
      );
    }
    amount /= size;
  }
  return '–';
}
