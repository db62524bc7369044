import React, { useState } from 'react';
import { dateTime } from '@grafana/data';
import { Badge, Button, DateTimePicker, Field, Input, RadioButtonGroup, Stack, Text } from '@grafana/ui';
import { api } from '../../api/client';
import type { IncidentDetail, Regime } from '../../api/types';
import { ReasonModal } from '../../components/ReasonModal/ReasonModal';
import { formatTime, TimeAgo } from '../../components/TimeAgo/TimeAgo';
import { testIds } from '../../components/testIds';
import { editPermission, User } from './permissions';
import { noteAfter } from './notes';
import { DraftEUAIActReport } from './Reports';

const REGIMES: Array<{ value: Regime; label: string; description: string }> = [
  {
    value: 'eu_ai_act',
    label: 'EU AI Act Art. 73',
    description: 'Serious incident: 15 days (2 if widespread, 10 if a death)',
  },
  { value: 'gdpr', label: 'GDPR Art. 33', description: 'Personal-data breach: 72 hours' },
];
const REGIME_LABEL: Record<Regime, string> = { eu_ai_act: 'EU AI Act', gdpr: 'GDPR' };

// Regulatory shows the incident's reporting clocks and lets a responder flag a regime or log a report sent.
export function Regulatory({ detail, user, onChanged }: { detail: IncidentDetail; user: User; onChanged: () => void }) {
  const inc = detail.incident;
  const [dialog, setDialog] = useState<'flag' | Regime>();
  const p = editPermission(user, inc);
  return (
    <div data-testid={testIds.incident.regulatory}>
      <Stack gap={1} alignItems="center" wrap="wrap">
        <Text weight="medium">Regulatory clocks:</Text>
        {detail.regulatory.length === 0 && <Text color="secondary">none flagged</Text>}
        {detail.regulatory.map((c) => {
          const reported = c.initial_report_at || c.complete_report_at;
          return (
            <Stack key={c.regime} gap={0.5} alignItems="center">
              <Badge
                color={reported ? 'green' : c.overdue ? 'red' : 'orange'}
                icon={reported ? 'check' : 'clock-nine'}
                text={`${REGIME_LABEL[c.regime]}${c.tier ? ` (${c.tier})` : ''}: ${reported ? 'reported' : c.overdue ? 'overdue' : 'report due'}`}
                tooltip={`Aware since ${formatTime(c.aware_at)}; due ${formatTime(c.due_at)}`}
              />
              {!reported && <TimeAgo at={c.due_at} />}
              <Button
                size="sm"
                variant="secondary"
                fill="text"
                disabled={!p.allowed}
                tooltip={p.why}
                onClick={() => setDialog(c.regime)}
              >
                Log a report
              </Button>
            </Stack>
          );
        })}
        <Button
          size="sm"
          variant="secondary"
          fill="outline"
          icon="document-info"
          disabled={!p.allowed}
          tooltip={p.why}
          onClick={() => setDialog('flag')}
        >
          Flag a regime
        </Button>
        {detail.regulatory.some((c) => c.regime === 'eu_ai_act') && (
          <DraftEUAIActReport incident={inc} user={user} onDrafted={onChanged} />
        )}
      </Stack>
      {dialog === 'flag' && (
        <FlagDialog
          id={inc.incident_id}
          onDone={() => {
            setDialog(undefined);
            onChanged();
          }}
        />
      )}
      {dialog && dialog !== 'flag' && (
        <ReportDialog
          id={inc.incident_id}
          regime={dialog}
          onDone={() => {
            setDialog(undefined);
            onChanged();
          }}
        />
      )}
    </div>
  );
}

function FlagDialog({ id, onDone }: { id: string; onDone: () => void }) {
  const [regime, setRegime] = useState<Regime>('eu_ai_act');
  const [tier, setTier] = useState('standard');
  const [aware, setAware] = useState(dateTime());
  return (
    <ReasonModal
      title="Flag a reporting duty"
      label="Why it applies (optional)"
      description="Added to the timeline with the flag."
      required={false}
      confirmText="Flag"
      onConfirm={async (why) => {
        await api.flagRegulatory(id, regime, regime === 'eu_ai_act' ? tier : '', aware.toISOString());
        await noteAfter(id, `Why ${REGIME_LABEL[regime]} applies`, why);
      }}
      onDismiss={onDone}
    >
      <Field label="Regime" description={REGIMES.find((r) => r.value === regime)?.description}>
        <RadioButtonGroup<Regime>
          options={REGIMES.map(({ value, label }) => ({ value, label }))}
          value={regime}
          onChange={setRegime}
        />
      </Field>
      {regime === 'eu_ai_act' && (
        <Field label="Tier">
          <RadioButtonGroup
            options={[
              { value: 'standard', label: 'Standard (15 days)' },
              { value: 'widespread', label: 'Widespread / critical infrastructure (2 days)' },
              { value: 'death', label: 'A death (10 days)' },
            ]}
            value={tier}
            onChange={setTier}
          />
        </Field>
      )}
      <Field label="Aware since" description="The clock runs from when the organisation became aware.">
        <DateTimePicker date={aware} onChange={(d) => d && setAware(d)} />
      </Field>
    </ReasonModal>
  );
}

function ReportDialog({ id, regime, onDone }: { id: string; regime: Regime; onDone: () => void }) {
  const [authority, setAuthority] = useState('');
  const [reference, setReference] = useState('');
  const [report, setReport] = useState<'initial' | 'complete'>('initial');
  const [sent, setSent] = useState(dateTime());
  const [touched, setTouched] = useState(false);
  const invalid = authority.trim() === '' ? 'Which authority was it sent to?' : undefined;
  return (
    <ReasonModal
      title={`Log a ${REGIME_LABEL[regime]} report`}
      label="Notes (optional)"
      description="Added to the timeline with the report."
      required={false}
      confirmText="Log report"
      blocked={!!invalid}
      onTouched={() => setTouched(true)}
      onConfirm={async (notes) => {
        await api.reportRegulatory(id, {
          regime,
          authority: authority.trim(),
          report,
          sent_at: sent.toISOString(),
          reference: reference.trim(),
        });
        await noteAfter(id, `${REGIME_LABEL[regime]} report to ${authority.trim()}`, notes);
      }}
      onDismiss={onDone}
    >
      <Field label="Authority" required invalid={touched && !!invalid} error={touched ? invalid : undefined}>
        <Input aria-label="Authority" value={authority} onChange={(e) => setAuthority(e.currentTarget.value)} />
      </Field>
      <Field label="Report">
        <RadioButtonGroup<'initial' | 'complete'>
          options={[
            { value: 'initial', label: 'Initial' },
            { value: 'complete', label: 'Complete' },
          ]}
          value={report}
          onChange={setReport}
        />
      </Field>
      <Field label="Sent at">
        <DateTimePicker date={sent} onChange={(d) => d && setSent(d)} />
      </Field>
      <Field label="Reference (optional)">
        <Input aria-label="Reference" value={reference} onChange={(e) => setReference(e.currentTarget.value)} />
      </Field>
    </ReasonModal>
  );
}
