import React from 'react';
import { Button } from '@grafana/ui';
import { api } from '../../api/client';
import { ApiErrorAlert } from '../../components/ApiErrorAlert/ApiErrorAlert';
import { useAction } from '../../components/useAction';
import { saveFile } from '../../utils/saveFile';
import { resolveRange } from '../../utils/timeRange';

// ExportCSV downloads the incidents declared in the queue's time range (resolved when clicked: "now-7d" means the
// last seven days at that moment) as CSV, drills included when the queue shows them.
export function ExportCSV({ from, to, drills }: { from: string; to: string; drills: boolean }) {
  const { run, busy, error, clearError } = useAction();
  const exportCSV = () =>
    run(async () => {
      const r = resolveRange(from, to);
      saveFile(await api.exportIncidentsCSV(String(r.from.valueOf()), String(r.to.valueOf()), drills));
    });
  return (
    <>
      <Button variant="secondary" icon={busy ? 'spinner' : 'download-alt'} disabled={busy} onClick={exportCSV}>
        Export CSV
      </Button>
      {error && <ApiErrorAlert error={error} title="The export failed" onRemove={clearError} />}
    </>
  );
}
