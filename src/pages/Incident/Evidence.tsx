import React, { useEffect, useState } from 'react';
import { Badge, Button, LinkButton, LoadingPlaceholder, Stack, Text } from '@grafana/ui';
import { api, ApiError, toApiError } from '../../api/client';
import type { EvidenceAnswer, EvidenceSnapshot, IncidentDetail } from '../../api/types';
import { ApiErrorAlert } from '../../components/ApiErrorAlert/ApiErrorAlert';
import { TimeAgo } from '../../components/TimeAgo/TimeAgo';
import { testIds } from '../../components/testIds';

// Evidence: the snapshots taken before containment actions, each checked against its hash on the timeline.
export function Evidence({ detail }: { detail: IncidentDetail }) {
  const id = detail.incident.incident_id;
  const [snaps, setSnaps] = useState<EvidenceSnapshot[]>();
  const [error, setError] = useState<ApiError>();
  useEffect(() => {
    let current = true;
    api
      .evidence(id)
      .then((r) => current && setSnaps(r.snapshots))
      .catch((err) => current && setError(toApiError(err)));
    return () => {
      current = false;
    };
  }, [id, detail.incident.last_seq]);
  if (error) {
    return <ApiErrorAlert error={error} title="Evidence could not be loaded" />;
  }
  if (!snaps) {
    return <LoadingPlaceholder text="Loading evidence..." />;
  }
  if (snaps.length === 0) {
    return <Text color="secondary">No evidence yet: a snapshot is taken before every containment action.</Text>;
  }
  return (
    <Stack direction="column" gap={1} data-testid={testIds.evidence.list}>
      {snaps.map((s) => (
        <Snapshot key={s.snapshot_id} id={id} snap={s} />
      ))}
    </Stack>
  );
}

function Snapshot({ id, snap }: { id: string; snap: EvidenceSnapshot }) {
  const [check, setCheck] = useState<EvidenceAnswer>();
  const [error, setError] = useState<ApiError>();
  const verify = () =>
    api
      .evidenceSnapshot(id, snap.snapshot_id)
      .then(setCheck)
      .catch((err) => setError(toApiError(err)));
  return (
    <Stack alignItems="center" gap={1} wrap="wrap" data-testid={testIds.evidence.snapshot(snap.snapshot_id)}>
      <Text weight="medium">Snapshot {snap.snapshot_id.slice(0, 8)}</Text>
      <Text color="secondary">
        taken by {snap.taken_by} <TimeAgo at={snap.taken_at} /> · {snap.bytes} bytes · SHA-256{' '}
        <code>{snap.sha256.slice(0, 16)}…</code>
      </Text>
      {check ? (
        <Badge
          color={check.verified ? 'green' : 'red'}
          icon={check.verified ? 'check' : 'exclamation-triangle'}
          text={check.verified ? 'Verified: matches the timeline' : 'Does not match'}
          tooltip={`stored ${check.sha256}\nrecomputed ${check.recomputed_sha256}\non the timeline ${check.timeline_sha256}`}
        />
      ) : (
        <Button size="sm" variant="secondary" onClick={verify}>
          Verify
        </Button>
      )}
      <LinkButton
        size="sm"
        variant="secondary"
        icon="download-alt"
        href={api.evidenceDownloadURL(id, snap.snapshot_id)}
        download
      >
        Download
      </LinkButton>
      {error && <ApiErrorAlert error={error} onRemove={() => setError(undefined)} />}
    </Stack>
  );
}
