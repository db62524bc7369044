import React, { memo, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { css } from '@emotion/css';
import { useVirtualizer } from '@tanstack/react-virtual';
import { GrafanaTheme2 } from '@grafana/data';
import { Button, Field, Icon, RadioButtonGroup, Stack, Text, TextArea, TextLink, useStyles2 } from '@grafana/ui';
import { api } from '../../api/client';
import type { IncidentDetail, TimelineEvent } from '../../api/types';
import { ApiErrorAlert } from '../../components/ApiErrorAlert/ApiErrorAlert';
import { TimeAgo, formatTime } from '../../components/TimeAgo/TimeAgo';
import { testIds } from '../../components/testIds';
import { useAction } from '../../components/useAction';
import { actorLabel } from '../../utils/format';
import { editPermission, User } from './permissions';
import { usePaged } from './usePaged';
import { alertOf, filterEvents, groupOf, iconOf, KIND_GROUPS, KindGroup } from './timelineModel';

const MAX_NOTE = 10000;

// Timeline: every event in order, virtualized (incidents can have thousands), filterable by kind, with alert events
// expandable to their labels, annotations, values and source.
export function Timeline({ detail, user, onChanged }: { detail: IncidentDetail; user: User; onChanged: () => void }) {
  const styles = useStyles2(getStyles);
  const [group, setGroup] = useState<KindGroup | 'all'>('all');
  const id = detail.incident.incident_id;
  // The detail carries the first page of the whole timeline; a kind filter reads its own pages from the server.
  const kinds = group === 'all' ? [] : [group];
  const first = group === 'all' ? { items: detail.timeline, next: detail.timeline_next_cursor } : undefined;
  const pages = usePaged(`${id}/${detail.incident.last_seq}/${group}`, first, (cursor) =>
    api.timelinePage(id, cursor, kinds).then((p) => ({ items: p.timeline, next: p.next_cursor }))
  );
  const events = useMemo(() => filterEvents(pages.items, kinds), [pages.items, group]); // eslint-disable-line react-hooks/exhaustive-deps
  const [open, setOpen] = useState<Set<number>>(new Set());
  const scroller = useRef<HTMLDivElement>(null);
  const virtual = useVirtualizer({
    count: events.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => 64,
    overscan: 8,
    // Rows follow the scroll in React's next render rather than in a synchronous one per scroll event: a fast wheel
    // made one long task of every step's.
    useFlushSync: false,
  });
  const items = virtual.getVirtualItems();
  const lastShown = items.length ? items[items.length - 1].index : -1;
  const { hasMore, loadMore } = pages;
  useEffect(() => {
    if (hasMore && lastShown >= events.length - 20) {
      loadMore();
    }
  }, [lastShown, events.length, hasMore, loadMore]);
  const toggle = useCallback(
    (seq: number) =>
      setOpen((s) => {
        const n = new Set(s);
        n.has(seq) ? n.delete(seq) : n.add(seq);
        return n;
      }),
    []
  );

  return (
    <Stack direction="column" gap={2}>
      <NoteForm detail={detail} user={user} onChanged={onChanged} />
      <Stack justifyContent="space-between" alignItems="center">
        <RadioButtonGroup
          size="sm"
          options={[
            { value: 'all' as const, label: `All (${detail.timeline_total})` },
            ...KIND_GROUPS.map((g) => ({ value: g.id, label: g.label })),
          ]}
          value={group}
          onChange={setGroup}
        />
        <Text color="secondary">
          {group === 'all'
            ? `${events.length} of ${detail.timeline_total} events`
            : `${events.length}${pages.hasMore ? '+' : ''} events`}
          {pages.loading && ' · loading...'}
        </Text>
      </Stack>
      <div
        ref={scroller}
        className={styles.scroller}
        data-testid={testIds.incident.timeline}
        role="list"
        aria-label="Timeline"
      >
        <div style={{ height: virtual.getTotalSize(), position: 'relative' }}>
          {items.map((item) => {
            const e = events[item.index];
            return (
              <div
                key={e.seq}
                ref={virtual.measureElement}
                data-index={item.index}
                className={styles.row}
                style={{ transform: `translateY(${item.start}px)` }}
                role="listitem"
              >
                <EventRow event={e} open={open.has(e.seq)} onToggle={toggle} />
              </div>
            );
          })}
        </div>
      </div>
      {pages.error && <ApiErrorAlert error={pages.error} title="More of the timeline could not be loaded" />}
    </Stack>
  );
}

// Memoized: while the timeline scrolls, rows already on screen do not render again, only those that come into view.
const EventRow = memo(function EventRow({
  event,
  open,
  onToggle,
}: {
  event: TimelineEvent;
  open: boolean;
  onToggle: (seq: number) => void;
}) {
  const styles = useStyles2(getStyles);
  const alert = alertOf(event);
  return (
    <div className={styles.event} data-testid={testIds.incident.event(event.seq)} data-kind={event.kind}>
      <div className={styles.icon} data-group={groupOf(event)}>
        <Icon name={iconOf(event.kind)} />
      </div>
      <div className={styles.body}>
        <Stack gap={1} alignItems="baseline" wrap="wrap">
          <Text weight="medium">{event.message}</Text>
        </Stack>
        <Text color="secondary" variant="bodySmall">
          #{event.seq} · {event.kind.replace(/_/g, ' ')} · {actorLabel(event.actor)} · <TimeAgo at={event.at} />
          {event.recorded_at &&
            Math.abs(Date.parse(event.recorded_at) - Date.parse(event.at)) > 60000 &&
            ` · recorded ${formatTime(event.recorded_at)}`}
        </Text>
        {alert && (
          <div>
            <Button
              size="sm"
              fill="text"
              variant="secondary"
              icon={open ? 'angle-down' : 'angle-right'}
              onClick={() => onToggle(event.seq)}
              aria-expanded={open}
            >
              {open ? 'Hide the alert' : 'Show the alert'}
            </Button>
            {open && (
              <div className={styles.alert}>
                <KeyValues title="Labels" values={alert.labels} />
                {alert.annotations && <KeyValues title="Annotations" values={alert.annotations} />}
                {alert.values && (
                  <KeyValues
                    title="Values"
                    values={Object.fromEntries(Object.entries(alert.values).map(([k, v]) => [k, String(v)]))}
                  />
                )}
                {alert.generator_url && (
                  <TextLink href={alert.generator_url} external>
                    Source of the alert
                  </TextLink>
                )}
              </div>
            )}
          </div>
        )}
      </div>
    </div>
  );
});

function KeyValues({ title, values }: { title: string; values: Record<string, string> }) {
  const styles = useStyles2(getStyles);
  return (
    <div>
      <Text variant="bodySmall" color="secondary">
        {title}
      </Text>
      <dl className={styles.kv}>
        {Object.entries(values).map(([k, v]) => (
          <React.Fragment key={k}>
            <dt>{k}</dt>
            <dd>{v}</dd>
          </React.Fragment>
        ))}
      </dl>
    </div>
  );
}

function NoteForm({ detail, user, onChanged }: { detail: IncidentDetail; user: User; onChanged: () => void }) {
  const [text, setText] = useState('');
  const [touched, setTouched] = useState(false);
  const { run, busy, error, clearError } = useAction();
  const p = editPermission(user, detail.incident);
  const invalid =
    text.trim() === ''
      ? 'Write the note first'
      : text.length > MAX_NOTE
        ? `At most ${MAX_NOTE} characters (now ${text.length})`
        : undefined;
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setTouched(true);
    if (invalid || !p.allowed) {
      return;
    }
    // On a refusal the text stays for another try.
    if (await run(() => api.addNote(detail.incident.incident_id, text.trim()))) {
      setText('');
      setTouched(false);
      onChanged();
    }
  };
  return (
    <form onSubmit={submit} data-testid={testIds.incident.noteForm}>
      <Field
        label="Add a note"
        description={p.allowed ? 'What you saw, did or decided: it goes on the timeline with your name.' : p.why}
        invalid={touched && !!invalid}
        error={touched ? invalid : undefined}
      >
        <TextArea
          aria-label="Note"
          rows={2}
          value={text}
          disabled={!p.allowed}
          onChange={(e) => setText(e.currentTarget.value)}
        />
      </Field>
      {error && <ApiErrorAlert error={error} onRemove={clearError} />}
      <Button type="submit" icon="comment-alt" disabled={!p.allowed || busy}>
        Add note
      </Button>
    </form>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  scroller: css({
    height: 'min(70vh, 900px)',
    overflowY: 'auto',
    border: `1px solid ${theme.colors.border.weak}`,
    borderRadius: theme.shape.radius.default,
  }),
  row: css({ position: 'absolute', top: 0, left: 0, width: '100%' }),
  event: css({
    display: 'flex',
    gap: theme.spacing(1.5),
    padding: theme.spacing(1, 1.5),
    borderBottom: `1px solid ${theme.colors.border.weak}`,
  }),
  icon: css({
    flex: '0 0 28px',
    height: 28,
    display: 'flex',
    alignItems: 'center',
    justifyContent: 'center',
    borderRadius: '50%',
    background: theme.colors.background.secondary,
    '&[data-group="alerts"]': { color: theme.colors.error.text },
    '&[data-group="people"]': { color: theme.colors.info.text },
    '&[data-group="containment"]': { color: theme.colors.warning.text },
  }),
  body: css({
    display: 'flex',
    flexDirection: 'column',
    gap: theme.spacing(0.25),
    minWidth: 0,
    overflowWrap: 'anywhere',
  }),
  alert: css({
    display: 'flex',
    flexDirection: 'column',
    gap: theme.spacing(1),
    padding: theme.spacing(1),
    background: theme.colors.background.secondary,
  }),
  kv: css({
    display: 'grid',
    gridTemplateColumns: 'max-content 1fr',
    columnGap: theme.spacing(2),
    margin: 0,
    dt: { color: theme.colors.text.secondary },
    dd: { margin: 0 },
  }),
});
