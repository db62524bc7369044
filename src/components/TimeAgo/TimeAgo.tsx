import React from 'react';
import { dateTimeFormat, dateTimeFormatTimeAgo } from '@grafana/data';
import { config } from '@grafana/runtime';

// The user's time zone as Grafana knows it (their profile, else the browser's).
export function userTimeZone(): string {
  return config.bootData?.user?.timezone || 'browser';
}

export function formatTime(at: string | number): string {
  return dateTimeFormat(at, { timeZone: userTimeZone() });
}

// TimeAgo shows a time relative to now, with the absolute time (user's time zone) on hover and for screen readers.
// A native title, not a Tooltip: lists show one per row, and each Tooltip costs a floating-ui instance.
export function TimeAgo({ at }: { at: string }) {
  const absolute = formatTime(at);
  return (
    <time dateTime={at} title={absolute} aria-label={absolute}>
      {dateTimeFormatTimeAgo(at, { timeZone: userTimeZone() })}
    </time>
  );
}
