import React, { useEffect, useState } from 'react';
import { css } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { Alert, Badge, BadgeColor, Button, Card, LoadingPlaceholder, Stack, Text, useStyles2 } from '@grafana/ui';
import { api, ApiError, toApiError } from '../../api/client';
import type {
  ActionView,
  ContainmentList,
  ContainmentState,
  IncidentDetail,
  ReadinessResult,
  RequestView,
} from '../../api/types';
import { ApiErrorAlert } from '../../components/ApiErrorAlert/ApiErrorAlert';
import { ReasonModal } from '../../components/ReasonModal/ReasonModal';
import { TimeAgo } from '../../components/TimeAgo/TimeAgo';
import { testIds } from '../../components/testIds';
import { useAction } from '../../components/useAction';
import { isEditor, User } from './permissions';

const STATE_COLORS: Record<ContainmentState, BadgeColor> = {
  pending_approval: 'orange',
  ready: 'blue',
  approved: 'blue',
  rejected: 'darkgrey',
  running: 'purple',
  succeeded: 'green',
  failed: 'red',
};

type Dialog =
  { kind: 'request'; action: ActionView } | { kind: 'approve' | 'reject'; request: RequestView } | undefined;

// Containment: the AI system's kill switches as buttons, the requests with their approvals and attempts.
export function Containment({
  detail,
  user,
  onChanged,
}: {
  detail: IncidentDetail;
  user: User;
  onChanged: () => void;
}) {
  const canDryRun = isEditor(user);
  const styles = useStyles2(getStyles);
  const id = detail.incident.incident_id;
  const [list, setList] = useState<ContainmentList>();
  const [error, setError] = useState<ApiError>();
  const [dialog, setDialog] = useState<Dialog>();
  // The readiness of this AI system's kill switches: their dry runs, called on demand.
  const [ready, setReady] = useState<Record<string, ReadinessResult>>({});
  const readiness = useAction();
  const checkReadiness = async () => {
    const r = await readiness.run(() => api.readiness());
    if (r) {
      setReady(Object.fromEntries(r.results.filter((x) => x.ai_system === list?.ai_system).map((x) => [x.action, x])));
    }
  };
  // A change reloads the incident; its new last_seq reloads the list below.
  const refresh = onChanged;

  useEffect(() => {
    let current = true;
    api
      .containment(id)
      .then((l) => current && (setList(l), setError(undefined)))
      .catch((err) => current && setError(toApiError(err)));
    return () => {
      current = false;
    };
  }, [id, detail.incident.last_seq]);

  if (error && !list) {
    return <ApiErrorAlert error={error} title="Containment could not be loaded" />;
  }
  if (!list) {
    return <LoadingPlaceholder text="Loading containment..." />;
  }
  return (
    <Stack direction="column" gap={2}>
      {list.drill && (
        <Alert severity="info" title="Drill: actions run as dry runs">
          This incident is a tabletop exercise. Containment actions call their dry-run endpoints only; nothing is
          switched off.
        </Alert>
      )}
      <div>
        <Stack justifyContent="space-between" alignItems="center">
          <Text element="h3">Kill switches of {list.ai_system}</Text>
          {list.actions.some((a) => a.has_dry_run) && (
            <Button
              size="sm"
              variant="secondary"
              icon="play"
              disabled={readiness.busy || !canDryRun}
              tooltip={canDryRun ? undefined : 'The dry runs take an Editor or Admin'}
              onClick={checkReadiness}
            >
              Check they work (dry runs)
            </Button>
          )}
        </Stack>
        {readiness.error && <ApiErrorAlert error={readiness.error} onRemove={readiness.clearError} />}
        {list.actions.length === 0 && (
          <Text element="p" color="secondary">
            No containment actions are configured for {list.ai_system}. An admin prepares them in the app&apos;s
            configuration.
          </Text>
        )}
        <div className={styles.actions} data-testid={testIds.containment.actions}>
          {list.actions.map((a) => (
            <Card key={a.id} data-testid={testIds.containment.action(a.id)}>
              <Card.Heading>{a.label}</Card.Heading>
              <Card.Meta>
                {[
                  a.kind.replace(/_/g, ' '),
                  a.requires_approval ? 'needs approval' : 'runs at once',
                  a.has_dry_run ? 'has a dry run' : 'no dry run',
                ]}
              </Card.Meta>
              <Card.Description>
                {a.target}
                {ready[a.id] && (
                  <div data-testid={testIds.containment.ready(a.id)}>
                    <Badge
                      color={ready[a.id].ready ? 'green' : 'red'}
                      icon={ready[a.id].ready ? 'check' : 'times'}
                      text={
                        ready[a.id].ready
                          ? `ready (dry run in ${ready[a.id].latency_ms} ms)`
                          : `not ready: ${ready[a.id].error ?? `HTTP ${ready[a.id].http_status}`}`
                      }
                    />
                  </div>
                )}
              </Card.Description>
              <Card.Actions>
                <Button
                  variant={a.kind === 'disable_feature' || a.kind === 'rollback_model' ? 'destructive' : 'primary'}
                  disabled={!a.may_request}
                  tooltip={a.may_request ? undefined : a.why_not}
                  onClick={() => setDialog({ kind: 'request', action: a })}
                >
                  {a.requires_approval ? 'Request' : 'Run'}
                </Button>
              </Card.Actions>
            </Card>
          ))}
        </div>
      </div>
      <div>
        <Text element="h3">Requests</Text>
        {list.requests.length === 0 && <Text color="secondary">None yet.</Text>}
        <Stack direction="column" gap={1}>
          {list.requests.map((r) => (
            <RequestCard key={r.request_id} id={id} request={r} onDialog={setDialog} onChanged={refresh} />
          ))}
        </Stack>
      </div>
      {dialog?.kind === 'request' && (
        <ReasonModal
          title={`${dialog.action.requires_approval ? 'Request' : 'Run'}: ${dialog.action.label}`}
          label="Reason"
          description={
            dialog.action.requires_approval
              ? 'Someone else approves it before it runs. An evidence snapshot is taken first.'
              : 'It runs as soon as you confirm. An evidence snapshot is taken first.'
          }
          confirmText={dialog.action.requires_approval ? 'Request' : 'Run now'}
          destructive
          onConfirm={(reason) => api.requestContainment(id, dialog.action.id, reason)}
          onDismiss={() => {
            setDialog(undefined);
            refresh();
          }}
        />
      )}
      {(dialog?.kind === 'approve' || dialog?.kind === 'reject') && (
        <ReasonModal
          title={`${dialog.kind === 'approve' ? 'Approve' : 'Reject'}: ${dialog.request.label}`}
          label="Reason"
          required={dialog.kind === 'reject'}
          confirmText={dialog.kind === 'approve' ? 'Approve and run' : 'Reject'}
          destructive={dialog.kind === 'approve'}
          onConfirm={(reason) =>
            dialog.kind === 'approve'
              ? api.approveContainment(id, dialog.request.request_id, reason)
              : api.rejectContainment(id, dialog.request.request_id, reason)
          }
          onDismiss={() => {
            setDialog(undefined);
            refresh();
          }}
        />
      )}
    </Stack>
  );
}

function RequestCard({
  id,
  request: r,
  onDialog,
  onChanged,
}: {
  id: string;
  request: RequestView;
  onDialog: (d: Dialog) => void;
  onChanged: () => void;
}) {
  const styles = useStyles2(getStyles);
  const { run, busy, error, clearError } = useAction(onChanged);
  const retry = () => run(() => api.retryContainment(id, r.request_id));
  return (
    <div className={styles.request} data-testid={testIds.containment.request(r.request_id)}>
      <Stack justifyContent="space-between" alignItems="center" wrap="wrap">
        <Stack gap={1} alignItems="center">
          <Badge color={STATE_COLORS[r.state] ?? 'darkgrey'} text={r.state.replace(/_/g, ' ')} />
          <Text weight="medium">{r.label}</Text>
          <Text color="secondary">
            requested by {r.requested_by} <TimeAgo at={r.requested_at} />
            {r.decided_by ? ` · ${r.state === 'rejected' ? 'rejected' : 'approved'} by ${r.decided_by}` : ''}
          </Text>
        </Stack>
        <Stack gap={1}>
          {r.state === 'pending_approval' && (
            <>
              <Button
                size="sm"
                disabled={!r.may_approve}
                tooltip={r.may_approve ? undefined : r.why_not}
                onClick={() => onDialog({ kind: 'approve', request: r })}
              >
                Approve
              </Button>
              <Button
                size="sm"
                variant="secondary"
                disabled={!r.may_approve}
                tooltip={r.may_approve ? undefined : r.why_not}
                onClick={() => onDialog({ kind: 'reject', request: r })}
              >
                Reject
              </Button>
            </>
          )}
          {r.may_retry && (
            <Button size="sm" variant="secondary" icon="repeat" disabled={busy} onClick={retry}>
              Retry
            </Button>
          )}
        </Stack>
      </Stack>
      {r.reason && <Text element="p">Reason: {r.reason}</Text>}
      {r.state === 'pending_approval' && !r.may_approve && r.why_not && (
        <Text color="secondary" variant="bodySmall" data-testid={testIds.containment.whyNot}>
          You cannot approve: {r.why_not}
        </Text>
      )}
      {(r.attempts ?? []).map((a) => (
        <div key={a.attempt} className={styles.attempt}>
          <Text variant="bodySmall">
            Attempt {a.attempt}
            {a.dry_run ? ' (dry run)' : ''} by {a.started_by}: {a.target} ·{' '}
            {a.outcome
              ? `${a.outcome.succeeded ? 'succeeded' : 'failed'}${a.outcome.http_status ? ` (HTTP ${a.outcome.http_status})` : ''} in ${a.outcome.latency_ms} ms, ${a.outcome.tries} ${a.outcome.tries === 1 ? 'try' : 'tries'}`
              : 'running'}
            {' · evidence '}
            <code>{a.evidence.sha256.slice(0, 12)}</code>
          </Text>
          {a.outcome?.error && (
            <Text color="error" variant="bodySmall">
              {a.outcome.error}
            </Text>
          )}
          {a.outcome?.answer && <pre className={styles.answer}>{a.outcome.answer.slice(0, 400)}</pre>}
        </div>
      ))}
      {error && <ApiErrorAlert error={error} onRemove={clearError} />}
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  actions: css({
    display: 'grid',
    gridTemplateColumns: 'repeat(auto-fill, minmax(300px, 1fr))',
    gap: theme.spacing(1),
  }),
  request: css({
    padding: theme.spacing(1.5),
    border: `1px solid ${theme.colors.border.weak}`,
    borderRadius: theme.shape.radius.default,
    display: 'flex',
    flexDirection: 'column',
    gap: theme.spacing(0.5),
  }),
  attempt: css({ paddingLeft: theme.spacing(1), borderLeft: `2px solid ${theme.colors.border.medium}` }),
  answer: css({
    fontSize: theme.typography.bodySmall.fontSize,
    margin: 0,
    whiteSpace: 'pre-wrap',
    maxHeight: 120,
    overflow: 'auto',
  }),
});
