import React, { useEffect, useState } from 'react';
import { useNavigate } from 'react-router-dom';
import { PluginPage } from '@grafana/runtime';
import {
  Alert,
  Button,
  Combobox,
  Field,
  FieldSet,
  Input,
  RadioButtonGroup,
  Stack,
  Switch,
  Text,
  TextArea,
} from '@grafana/ui';
import { api } from '../../api/client';
import {
  type Category,
  CATEGORY_LIST,
  type DeclareRequest,
  REPORT_CHANNELS,
  type ReportChannel,
  type Severity,
  SEVERITY_LIST,
} from '../../api/types';
import { ApiErrorAlert } from '../../components/ApiErrorAlert/ApiErrorAlert';
import { testIds } from '../../components/testIds';
import { useAction } from '../../components/useAction';
import { prefixRoute, ROUTES } from '../../constants';
import { CATEGORY_DESCRIPTIONS, CATEGORY_LABELS, SEVERITY_GUIDANCE } from '../../utils/format';
import { currentUser } from '../Incident/useUser';
import { isEditor } from '../Incident/permissions';

const MAX_TITLE = 300;
const MAX_TEXT = 10000;

export function validateDeclare(d: DeclareRequest): Partial<Record<keyof DeclareRequest, string>> {
  const e: Partial<Record<keyof DeclareRequest, string>> = {};
  if (!d.title.trim()) {
    e.title = 'What is happening, in a line';
  } else if (d.title.length > MAX_TITLE) {
    e.title = `At most ${MAX_TITLE} characters (now ${d.title.length})`;
  }
  if (!d.ai_system.trim()) {
    e.ai_system = 'Which AI system?';
  } else if (d.ai_system.length > 200) {
    e.ai_system = 'At most 200 characters';
  }
  if (d.description.length > MAX_TEXT) {
    e.description = `At most ${MAX_TEXT} characters (now ${d.description.length})`;
  }
  return e;
}

// Declare an incident by hand: severity defaults to SEV2 ("when in doubt"), with the playbook's words per level.
function Declare() {
  const navigate = useNavigate();
  const user = currentUser();
  const [d, setD] = useState<DeclareRequest>({
    title: '',
    severity: 'SEV2',
    category: 'hallucination',
    ai_system: '',
    description: '',
    reported_via: 'support',
    drill: false,
  });
  const [systems, setSystems] = useState<string[]>([]);
  const [touched, setTouched] = useState(false);
  const { run, busy, error, clearError } = useAction();
  const errs = validateDeclare(d);
  const show = (k: keyof DeclareRequest) =>
    (touched ? errs[k] : undefined) ?? (error?.message.startsWith(`${k}:`) ? error.message : undefined);
  const set = (c: Partial<DeclareRequest>) => setD((x) => ({ ...x, ...c }));

  useEffect(() => {
    // Known AI systems, from recent incidents, to suggest.
    api
      .listIncidents({ limit: 200 })
      .then((p) => setSystems([...new Set(p.incidents.map((i) => i.ai_system))].sort()))
      .catch(() => setSystems([]));
  }, []);

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setTouched(true);
    if (Object.keys(errs).length > 0) {
      return;
    }
    // On a refusal everything typed stays.
    const ans = await run(() => api.declare({ ...d, title: d.title.trim(), ai_system: d.ai_system.trim() }));
    if (ans) {
      navigate(prefixRoute(`${ROUTES.Incident}/${ans.incident.incident_id}`));
    }
  };

  return (
    <PluginPage subTitle="Open an AI incident by hand: a report from support, security, legal or a colleague.">
      <form onSubmit={submit} data-testid={testIds.declare.form} style={{ maxWidth: 720 }}>
        {!isEditor(user) && (
          <Alert severity="info" title="Viewers cannot declare incidents">
            Ask an Editor, or an admin for the Editor role.
          </Alert>
        )}
        <FieldSet>
          <Field label="Title" required invalid={!!show('title')} error={show('title')}>
            <Input
              aria-label="Title"
              value={d.title}
              onChange={(e) => set({ title: e.currentTarget.value })}
              placeholder="Support bot tells customers refunds are free"
            />
          </Field>
          <Field label="Severity" description={SEVERITY_GUIDANCE[d.severity]}>
            <RadioButtonGroup<Severity>
              options={SEVERITY_LIST.map((s) => ({ value: s, label: s }))}
              value={d.severity}
              onChange={(v) => set({ severity: v })}
            />
          </Field>
          <Field label="Category" description={CATEGORY_DESCRIPTIONS[d.category]}>
            <Combobox<Category>
              id="declare-category"
              options={CATEGORY_LIST.map((c) => ({
                value: c,
                label: CATEGORY_LABELS[c],
                description: CATEGORY_DESCRIPTIONS[c],
              }))}
              value={d.category}
              onChange={(v) => set({ category: v.value })}
            />
          </Field>
          <Field label="AI system" required invalid={!!show('ai_system')} error={show('ai_system')}>
            <Combobox
              id="declare-ai-system"
              createCustomValue
              options={systems.map((s) => ({ value: s, label: s }))}
              value={d.ai_system || null}
              onChange={(v) => set({ ai_system: v?.value ?? '' })}
              placeholder="supportbot"
            />
          </Field>
          <Field label="Description" invalid={!!show('description')} error={show('description')}>
            <TextArea
              aria-label="Description"
              rows={4}
              value={d.description}
              onChange={(e) => set({ description: e.currentTarget.value })}
            />
          </Field>
          <Field label="Reported via">
            <RadioButtonGroup<ReportChannel>
              options={REPORT_CHANNELS.map((c) => ({ value: c, label: c }))}
              value={d.reported_via}
              onChange={(v) => set({ reported_via: v })}
            />
          </Field>
          <Field
            label="Drill"
            description="A tabletop exercise: marked everywhere, containment runs dry, kept out of statistics."
          >
            <Switch aria-label="Drill" value={d.drill} onChange={(e) => set({ drill: e.currentTarget.checked })} />
          </Field>
        </FieldSet>
        {error && <ApiErrorAlert error={error} onRemove={clearError} />}
        <Stack gap={1} alignItems="center">
          <Button type="submit" icon="fire" disabled={busy || !isEditor(user)}>
            Declare incident
          </Button>
          <Text color="secondary">It opens at once; the acknowledge clock of its severity starts now.</Text>
        </Stack>
      </form>
    </PluginPage>
  );
}

export default Declare;
