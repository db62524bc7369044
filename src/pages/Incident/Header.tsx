import React, { useEffect, useState } from 'react';
import { css } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { Badge, Button, Combobox, Field, Input, RadioButtonGroup, Stack, Text, Tooltip, useStyles2 } from '@grafana/ui';
import { api, type ApiError, toApiError } from '../../api/client';
import {
  type IncidentDetail,
  RESPONSE_ROLES,
  type ResponseRole,
  type Severity,
  SEVERITY_LIST,
  type Verification,
} from '../../api/types';
import { ApiErrorAlert } from '../../components/ApiErrorAlert/ApiErrorAlert';
import { ReasonModal } from '../../components/ReasonModal/ReasonModal';
import { SeverityBadge } from '../../components/SeverityBadge/SeverityBadge';
import { SlaCountdown } from '../../components/SlaCountdown/SlaCountdown';
import { FlappingBadge } from '../../components/FlappingBadge/FlappingBadge';
import { StatusBadge } from '../../components/StatusBadge/StatusBadge';
import { TimeAgo } from '../../components/TimeAgo/TimeAgo';
import { testIds } from '../../components/testIds';
import { useAction } from '../../components/useAction';
import { actorLabel, CATEGORY_LABELS, ROLE_LABELS, SEVERITY_GUIDANCE } from '../../utils/format';
import {
  editPermission,
  nextTransitions,
  type Permission,
  rolePermission,
  severityPermission,
  Transition,
  transitionPermission,
  User,
} from './permissions';
import { Regulatory } from './Regulatory';
import { noteAfter } from './notes';
import { ExportForAuditors } from './Reports';
import { Classification } from './Classification';

const TRANSITION_LABELS: Record<Transition, string> = {
  acknowledge: 'Acknowledge',
  contain: 'Mark contained',
  resolve: 'Resolve',
  reopen: 'Reopen',
  close: 'Close',
};

interface Props {
  detail: IncidentDetail;
  user: User;
  onChanged: () => void;
}

type Dialog = { kind: 'transition'; t: Transition } | { kind: 'severity' } | { kind: 'role' } | undefined;

export function Header({ detail, user, onChanged }: Props) {
  const styles = useStyles2(getStyles);
  const inc = detail.incident;
  const [dialog, setDialog] = useState<Dialog>();
  const { run, busy, error, clearError } = useAction(onChanged);

  const act = (t: Transition) => {
    if (t !== 'acknowledge' && t !== 'close') {
      setDialog({ kind: 'transition', t });
      return;
    }
    run(() => (t === 'acknowledge' ? api.acknowledge(inc.incident_id) : api.close(inc.incident_id)));
  };

  // Who may change the severity or assign roles depends on the choice made in the dialog; who may open it at all
  // (not a Viewer, not on a closed incident) does not.
  const edit = editPermission(user, inc);
  return (
    <div className={styles.header} data-testid={testIds.incident.header}>
      <Stack direction="column" gap={1.5}>
        <Stack alignItems="center" gap={1} wrap="wrap">
          <SeverityBadge severity={inc.severity} />
          <StatusBadge status={inc.status} drill={inc.drill} />
          <FlappingBadge flapping={inc.flapping} since={inc.flapping_since} />
          <Text color="secondary">
            {inc.ai_system} · {CATEGORY_LABELS[inc.category] ?? inc.category} · declared{' '}
            <TimeAgo at={inc.declared_at} /> by {actorLabel(inc.declared_by)}
          </Text>
        </Stack>
        {inc.description && <Text element="p">{inc.description}</Text>}
        <Stack gap={1} wrap="wrap" data-testid={testIds.incident.transitions}>
          {nextTransitions(inc.status).map((t) => {
            const p = transitionPermission(user, inc, t, detail.review_missing);
            return (
              <Gated key={t} permission={p}>
                <Button
                  variant={t === 'acknowledge' || t === 'resolve' ? 'primary' : 'secondary'}
                  disabled={!p.allowed || busy}
                  onClick={() => act(t)}
                >
                  {TRANSITION_LABELS[t]}
                </Button>
              </Gated>
            );
          })}
          <Gated permission={edit}>
            <Button
              variant="secondary"
              fill="outline"
              icon="arrow-up"
              onClick={() => setDialog({ kind: 'severity' })}
              disabled={!edit.allowed}
            >
              Change severity
            </Button>
          </Gated>
          <Gated permission={edit}>
            <Button
              variant="secondary"
              fill="outline"
              icon="user"
              onClick={() => setDialog({ kind: 'role' })}
              disabled={!edit.allowed}
            >
              Assign role
            </Button>
          </Gated>
          <ExportForAuditors incident={inc} />
        </Stack>
        {error && <ApiErrorAlert error={error} onRemove={clearError} />}

        <div className={styles.facts}>
          <Fact label="SLA">
            <SlaCountdown incident={inc} sla={detail.sla} />
          </Fact>
          <Fact label="Alerts firing">
            {inc.firing_alert_count} of {inc.alert_count}
          </Fact>
          <Fact label="Roles">
            {RESPONSE_ROLES.filter((r) => inc.roles?.[r]).map((r) => (
              <div key={r}>
                {ROLE_LABELS[r]}: <strong>{inc.roles![r]}</strong>
              </div>
            ))}
            {!inc.roles?.incident_lead && <Badge color="orange" text="No incident lead" icon="exclamation-triangle" />}
          </Fact>
          <Fact label={`Escalation (${inc.severity})`}>
            {detail.escalation.length === 0 ? (
              <Text color="secondary">none configured</Text>
            ) : (
              detail.escalation.map((c) => (
                <div key={c.name}>
                  {c.name} <Text color="secondary">({c.role})</Text>
                </div>
              ))
            )}
          </Fact>
          <Fact label="Timeline integrity">
            <ChainCheck id={inc.incident_id} lastSeq={inc.last_seq} />
          </Fact>
        </div>
        <Classification incident={inc} user={user} onChanged={onChanged} />
        <Regulatory detail={detail} user={user} onChanged={onChanged} />
      </Stack>

      {dialog?.kind === 'transition' && (
        <ReasonModal
          title={`${TRANSITION_LABELS[dialog.t]}: ${inc.title}`}
          label="Reason"
          description="Goes on the timeline with your name."
          confirmText={TRANSITION_LABELS[dialog.t]}
          required={dialog.t !== 'reopen'}
          onConfirm={(reason) =>
            api.setStatus(
              inc.incident_id,
              ({ contain: 'contained', resolve: 'resolved', reopen: 'reopened' } as const)[
                dialog.t as 'contain' | 'resolve' | 'reopen'
              ],
              reason
            )
          }
          onDismiss={() => {
            setDialog(undefined);
            onChanged();
          }}
        />
      )}
      {dialog?.kind === 'severity' && (
        <SeverityDialog
          detail={detail}
          user={user}
          onDone={() => {
            setDialog(undefined);
            onChanged();
          }}
        />
      )}
      {dialog?.kind === 'role' && (
        <RoleDialog
          detail={detail}
          user={user}
          onDone={() => {
            setDialog(undefined);
            onChanged();
          }}
        />
      )}
    </div>
  );
}

function Fact({ label, children }: { label: string; children: React.ReactNode }) {
  const styles = useStyles2(getStyles);
  return (
    <div className={styles.fact}>
      <div className={styles.factLabel}>{label}</div>
      <div>{children}</div>
    </div>
  );
}

function SeverityDialog({ detail, user, onDone }: { detail: IncidentDetail; user: User; onDone: () => void }) {
  const inc = detail.incident;
  const [to, setTo] = useState<Severity>(inc.severity === 'SEV1' ? 'SEV2' : 'SEV1');
  const p = severityPermission(user, inc, to);
  return (
    <ReasonModal
      title="Change the severity"
      label="Reason"
      confirmText={`Change to ${to}`}
      blocked={!p.allowed}
      onConfirm={(reason) => api.setSeverity(inc.incident_id, to, reason)}
      onDismiss={onDone}
    >
      <Field label="New severity" description={SEVERITY_GUIDANCE[to]}>
        <RadioButtonGroup<Severity>
          options={SEVERITY_LIST.filter((s) => s !== inc.severity).map((s) => ({ label: s, value: s }))}
          value={to}
          onChange={setTo}
        />
      </Field>
      {!p.allowed && p.why && <Text color="warning">{p.why}</Text>}
    </ReasonModal>
  );
}

function RoleDialog({ detail, user, onDone }: { detail: IncidentDetail; user: User; onDone: () => void }) {
  const inc = detail.incident;
  const [role, setRole] = useState<ResponseRole>(inc.roles?.incident_lead ? 'technical_lead' : 'incident_lead');
  const [login, setLogin] = useState(inc.roles?.incident_lead ? '' : user.login);
  const [touched, setTouched] = useState(false);
  const p = rolePermission(user, inc, role);
  const invalid = login.trim() === '' ? 'Whose login?' : login.length > 200 ? 'At most 200 characters' : undefined;
  return (
    <ReasonModal
      title="Assign a role"
      label="Note (optional)"
      description="Added to the timeline with the assignment."
      required={false}
      confirmText="Assign"
      blocked={!!invalid || !p.allowed}
      onTouched={() => setTouched(true)}
      onConfirm={async (note) => {
        await api.assignRole(inc.incident_id, role, login.trim());
        await noteAfter(inc.incident_id, `${ROLE_LABELS[role]}: ${login.trim()}`, note);
      }}
      onDismiss={onDone}
    >
      <Field label="Role">
        <Combobox<ResponseRole>
          id="assign-role"
          options={RESPONSE_ROLES.map((r) => ({
            label: ROLE_LABELS[r],
            value: r,
            description: inc.roles?.[r] ? `now ${inc.roles[r]}` : 'vacant',
          }))}
          value={role}
          onChange={(v) => setRole(v.value)}
        />
      </Field>
      <Field label="User (Grafana login)" invalid={touched && !!invalid} error={touched ? invalid : undefined} required>
        <Input aria-label="User" value={login} onChange={(e) => setLogin(e.currentTarget.value)} />
      </Field>
      {!p.allowed && p.why && <Text color="warning">{p.why}</Text>}
    </ReasonModal>
  );
}

// Gated shows why a control is disabled, on hover and focus of what wraps it (a disabled button takes neither).
function Gated({ permission, children }: { permission: Permission; children: React.ReactElement }) {
  return permission.allowed ? (
    children
  ) : (
    <Tooltip content={permission.why ?? ''}>
      <span>{children}</span>
    </Tooltip>
  );
}

// ChainCheck asks the backend to verify the stored timeline (hash chain, state, signatures) and says where it breaks.
function ChainCheck({ id, lastSeq }: { id: string; lastSeq: number }) {
  const [v, setV] = useState<Verification>();
  const [error, setError] = useState<ApiError>();
  useEffect(() => {
    let current = true;
    api
      .verify(id)
      .then((r) => current && setV(r))
      .catch((err) => current && setError(toApiError(err)));
    return () => {
      current = false;
    };
  }, [id, lastSeq]);
  if (error) {
    return <Text color="error">{error.message}</Text>;
  }
  if (!v) {
    return <Text color="secondary">checking...</Text>;
  }
  if (!v.intact) {
    return (
      <Tooltip content={v.problems.map((p) => p.detail).join('\n')}>
        <span data-testid={testIds.incident.chain}>
          <Badge color="red" icon="exclamation-triangle" text={`Broken at event ${v.break?.seq}`} />
        </span>
      </Tooltip>
    );
  }
  const signed = v.signature.status === 'verified';
  return (
    <Tooltip
      content={
        signed
          ? `All ${v.events} events covered by the receiver's signature (key ${v.signature.key_id})`
          : 'Hash chain intact; no signing key is configured in the app, so signatures were not checked'
      }
    >
      <span data-testid={testIds.incident.chain}>
        <Badge
          color="green"
          icon={signed ? 'lock' : 'check'}
          text={signed ? `Verified and signed (${v.events} events)` : `Chain intact (${v.events} events)`}
        />
      </span>
    </Tooltip>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  header: css({ display: 'block' }),
  facts: css({
    display: 'grid',
    gridTemplateColumns: 'repeat(auto-fill, minmax(220px, 1fr))',
    gap: theme.spacing(2),
    padding: theme.spacing(1.5),
    background: theme.colors.background.secondary,
    borderRadius: theme.shape.radius.default,
  }),
  fact: css({ display: 'flex', flexDirection: 'column', gap: theme.spacing(0.5) }),
  factLabel: css({ color: theme.colors.text.secondary, fontSize: theme.typography.bodySmall.fontSize }),
});
