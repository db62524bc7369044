import React, { useState } from 'react';
import { Button, Combobox, Field, Grid, Input, MultiCombobox, Stack, Text } from '@grafana/ui';
import { api } from '../../api/client';
import {
  ATLAS_TACTICS,
  DEPLOYMENT_BREADTHS,
  type DeploymentBreadth,
  type Harm,
  HARMS,
  type Incident,
  NIST_AI_600_1,
  OWASP_LLM_2025,
  type Taxonomy,
} from '../../api/types';
import { ReasonModal } from '../../components/ReasonModal/ReasonModal';
import { testIds } from '../../components/testIds';
import { noteAfter } from './notes';
import { editPermission, User } from './permissions';

// classificationSummary is the incident's classification in a line ("" when it has none).
export function classificationSummary(t?: Taxonomy): string {
  if (!t) {
    return '';
  }
  const parts = [
    ...(t.owasp_llm ?? []),
    ...(t.atlas_tactics ?? []).map((a) => (ATLAS_TACTICS[a] ? `${a} ${ATLAS_TACTICS[a]}` : a)),
    ...(t.nist_ai_600_1 ?? []).map((r) => NIST_AI_600_1[r] ?? r),
    t.harm ? HARMS[t.harm] : '',
    t.people_affected !== undefined ? `${t.people_affected} people affected` : '',
    t.deployment_breadth ? DEPLOYMENT_BREADTHS[t.deployment_breadth] : '',
  ];
  return parts.filter(Boolean).join(' · ');
}

// classificationSource says where the classification came from ("" when a person set it or there is none): alerts
// and a category's defaults classify until a person does.
export function classificationSource(by?: string): string {
  if (by?.startsWith('rule:')) {
    return `from alert rule ${by.slice('rule:'.length)}`;
  }
  return by === 'firebreak' ? "from the category's defaults" : '';
}

// Classification shows the incident's standard classifications and lets a responder change them.
export function Classification({
  incident,
  user,
  onChanged,
}: {
  incident: Incident;
  user: User;
  onChanged: () => void;
}) {
  const [open, setOpen] = useState(false);
  const p = editPermission(user, incident);
  const summary = classificationSummary(incident.taxonomy);
  const source = summary ? classificationSource(incident.taxonomy_by) : '';
  return (
    <Stack gap={1} alignItems="center" wrap="wrap" data-testid={testIds.incident.classification}>
      <Text weight="medium">Classification:</Text>
      <Text color={summary ? undefined : 'secondary'}>{summary || 'none yet'}</Text>
      {source && <Text color="secondary">({source})</Text>}
      <Button
        size="sm"
        variant="secondary"
        fill="text"
        icon="tag-alt"
        disabled={!p.allowed}
        tooltip={p.why}
        onClick={() => setOpen(true)}
      >
        Classify
      </Button>
      {open && (
        <ClassifyDialog
          incident={incident}
          onDone={() => {
            setOpen(false);
            onChanged();
          }}
        />
      )}
    </Stack>
  );
}

const options = (m: Record<string, string>, withCode: boolean) =>
  Object.entries(m).map(([value, label]) => ({ value, label: withCode ? `${value} ${label}` : label }));

function ClassifyDialog({ incident, onDone }: { incident: Incident; onDone: () => void }) {
  const t = incident.taxonomy ?? {};
  const [owasp, setOwasp] = useState(t.owasp_llm ?? []);
  const [atlas, setAtlas] = useState(t.atlas_tactics ?? []);
  const [nist, setNist] = useState(t.nist_ai_600_1 ?? []);
  const [harm, setHarm] = useState<Harm | undefined>(t.harm);
  const [people, setPeople] = useState(t.people_affected !== undefined ? String(t.people_affected) : '');
  const [breadth, setBreadth] = useState<DeploymentBreadth | undefined>(t.deployment_breadth);
  const [touched, setTouched] = useState(false);
  const invalid = people !== '' && !/^\d{1,11}$/.test(people) ? 'A count of people' : undefined;
  return (
    <ReasonModal
      title="Classify the incident"
      label="Note (optional)"
      description="Added to the timeline with the classification."
      required={false}
      confirmText="Save classification"
      blocked={!!invalid}
      onTouched={() => setTouched(true)}
      onConfirm={async (note) => {
        await api.classify(incident.incident_id, {
          owasp_llm: owasp.length ? owasp : undefined,
          atlas_tactics: atlas.length ? atlas : undefined,
          nist_ai_600_1: nist.length ? nist : undefined,
          harm,
          people_affected: people === '' ? undefined : Number(people),
          deployment_breadth: breadth,
        });
        await noteAfter(incident.incident_id, 'Classification', note);
      }}
      onDismiss={onDone}
    >
      <Field label="OWASP Top 10 for LLM Applications 2025">
        <MultiCombobox
          id="classify-owasp"
          options={options(OWASP_LLM_2025, true)}
          value={owasp}
          onChange={(v) => setOwasp(v.map((x) => x.value))}
        />
      </Field>
      <Field label="NIST AI 600-1 risks">
        <MultiCombobox
          id="classify-nist"
          options={options(NIST_AI_600_1, false)}
          value={nist}
          onChange={(v) => setNist(v.map((x) => x.value))}
        />
      </Field>
      <Field label="MITRE ATLAS tactics">
        <MultiCombobox
          id="classify-atlas"
          options={options(ATLAS_TACTICS, true)}
          value={atlas}
          onChange={(v) => setAtlas(v.map((x) => x.value))}
        />
      </Field>
      <Grid gap={2} columns={2}>
        <Field label="Harm (EU classification)">
          <Combobox<Harm>
            id="classify-harm"
            isClearable
            options={options(HARMS, false) as Array<{ value: Harm; label: string }>}
            value={harm ?? null}
            onChange={(v) => setHarm(v?.value)}
          />
        </Field>
        <Field label="People affected" invalid={touched && !!invalid} error={touched ? invalid : undefined}>
          <Input
            aria-label="People affected"
            inputMode="numeric"
            value={people}
            onChange={(e) => setPeople(e.currentTarget.value.trim())}
          />
        </Field>
        <Field label="Deployment breadth">
          <Combobox<DeploymentBreadth>
            id="classify-breadth"
            isClearable
            options={options(DEPLOYMENT_BREADTHS, false) as Array<{ value: DeploymentBreadth; label: string }>}
            value={breadth ?? null}
            onChange={(v) => setBreadth(v?.value)}
          />
        </Field>
      </Grid>
    </ReasonModal>
  );
}
