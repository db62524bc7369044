import { dateMath, dateTime, TimeRange } from '@grafana/data';

// resolveRange turns a time range as pages keep it in the URL (Grafana expressions like now-90d, or Unix ms) into a
// TimeRange for the picker and the API.
export function resolveRange(from: string, to: string): TimeRange {
  const parse = (v: string, roundUp: boolean) =>
    /^\d+$/.test(v) ? dateTime(Number(v)) : dateMath.toDateTime(v, { roundUp });
  return { from: parse(from, false)!, to: parse(to, true)!, raw: { from, to } };
}
