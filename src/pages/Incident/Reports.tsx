import React, { useState } from 'react';
import { Button, Dropdown, Field, Menu, Modal, RadioButtonGroup, Stack } from '@grafana/ui';
import { api, EU_REPORT_TYPES, type EUReportType, REPORT_FORMATS, type ReportFormat } from '../../api/client';
import type { Incident } from '../../api/types';
import { ApiErrorAlert } from '../../components/ApiErrorAlert/ApiErrorAlert';
import { testIds } from '../../components/testIds';
import { useAction } from '../../components/useAction';
import { saveFile } from '../../utils/saveFile';
import { draftPermission, User } from './permissions';

// ExportForAuditors downloads the incident report for auditors in the format picked from its menu.
export function ExportForAuditors({ incident }: { incident: Incident }) {
  const { run, busy, error, clearError } = useAction();
  const exportAs = (format: ReportFormat) =>
    run(async () => saveFile(await api.exportIncident(incident.incident_id, format)));
  const menu = (
    <Menu>
      {REPORT_FORMATS.map((f) => (
        <Menu.Item key={f.value} label={f.label} onClick={() => exportAs(f.value)} />
      ))}
    </Menu>
  );
  return (
    <>
      <Dropdown overlay={menu} placement="bottom-start">
        <Button variant="secondary" fill="outline" icon={busy ? 'spinner' : 'download-alt'} disabled={busy}>
          Export for auditors
        </Button>
      </Dropdown>
      {error && <ApiErrorAlert error={error} title="The export failed" onRemove={clearError} />}
    </>
  );
}

// DraftEUAIActReport downloads the draft of the incident's EU AI Act serious-incident report, of the type and in the
// format chosen in its dialog. Drafting goes on the timeline, so it takes an Editor and the EU AI Act flag.
export function DraftEUAIActReport({
  incident,
  user,
  onDrafted,
}: {
  incident: Incident;
  user: User;
  onDrafted: () => void;
}) {
  const [open, setOpen] = useState(false);
  const p = draftPermission(user, incident);
  return (
    <>
      <Button
        size="sm"
        variant="secondary"
        fill="outline"
        icon="file-alt"
        disabled={!p.allowed}
        tooltip={p.why}
        onClick={() => setOpen(true)}
      >
        Draft EU AI Act report
      </Button>
      {open && (
        <DraftDialog
          incident={incident}
          onDismiss={() => setOpen(false)}
          onDrafted={() => {
            setOpen(false);
            onDrafted();
          }}
        />
      )}
    </>
  );
}

function DraftDialog({
  incident,
  onDismiss,
  onDrafted,
}: {
  incident: Incident;
  onDismiss: () => void;
  onDrafted: () => void;
}) {
  const reported = incident.regulatory?.find((c) => c.regime === 'eu_ai_act')?.initial_report_at;
  const [type, setType] = useState<EUReportType>(reported ? 'follow_up' : 'initial');
  const [format, setFormat] = useState<ReportFormat>('pdf');
  const { run, busy, error } = useAction();
  const draft = async () => {
    if (await run(async () => (saveFile(await api.draftEUAIActReport(incident.incident_id, type, format)), true))) {
      onDrafted();
    }
  };
  return (
    <Modal title="Draft the EU AI Act serious-incident report" isOpen onDismiss={onDismiss}>
      <div data-testid={testIds.incident.euReportDialog}>
        <p>
          Pre-filled from the timeline, the review, the alerts and the AI system&apos;s settings; what Firebreak cannot
          know is marked [TO FILL]. Drafting is recorded on the timeline. Once sent, log the report to stop the clock.
        </p>
        <Field label="Report type">
          <RadioButtonGroup<EUReportType> options={EU_REPORT_TYPES} value={type} onChange={setType} />
        </Field>
        <Field label="Format">
          <RadioButtonGroup<ReportFormat> options={REPORT_FORMATS} value={format} onChange={setFormat} />
        </Field>
        {error && <ApiErrorAlert error={error} title="The draft failed" />}
        <Modal.ButtonRow>
          <Button variant="secondary" fill="outline" onClick={onDismiss}>
            Cancel
          </Button>
          <Stack>
            <Button icon={busy ? 'spinner' : 'download-alt'} disabled={busy} onClick={draft}>
              Download draft
            </Button>
          </Stack>
        </Modal.ButtonRow>
      </div>
    </Modal>
  );
}
