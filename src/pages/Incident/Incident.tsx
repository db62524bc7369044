import React from 'react';
import { useParams, useSearchParams } from 'react-router-dom';
import { PluginPage } from '@grafana/runtime';
import { IconName, LoadingPlaceholder, Stack, Tab, TabContent, TabsBar } from '@grafana/ui';
import { ApiErrorAlert } from '../../components/ApiErrorAlert/ApiErrorAlert';
import { testIds } from '../../components/testIds';
import { Containment } from './Containment';
import { Evidence } from './Evidence';
import { Header } from './Header';
import { Metrics } from './Metrics';
import { Review } from './Review';
import { Timeline } from './Timeline';
import { useIncident } from './useIncident';
import { currentUser } from './useUser';

const TABS: ReadonlyArray<{ id: string; label: string; icon: IconName }> = [
  { id: 'timeline', label: 'Timeline', icon: 'history' },
  { id: 'metrics', label: 'Alerts & metrics', icon: 'graph-bar' },
  { id: 'containment', label: 'Containment', icon: 'shield' },
  { id: 'evidence', label: 'Evidence', icon: 'file-alt' },
  { id: 'review', label: 'Review', icon: 'clipboard-alt' },
];
type TabId = 'timeline' | 'metrics' | 'containment' | 'evidence' | 'review';

// One incident: its header (status, roles, clocks, chain check) and tabs for the timeline, the triggering metrics,
// containment, evidence and the review. The tab lives in the URL.
function Incident() {
  const { id = '' } = useParams();
  const [params, setParams] = useSearchParams();
  const tab = (TABS.find((t) => t.id === params.get('tab'))?.id ?? 'timeline') as TabId;
  const { load, reload } = useIncident(id);
  const user = currentUser();
  const detail = load.state === 'loading' ? undefined : load.detail;

  return (
    <PluginPage pageNav={{ text: detail?.incident.title ?? 'Incident' }}>
      <div data-testid={testIds.incident.container}>
        {load.state === 'loading' && <LoadingPlaceholder text="Loading the incident..." />}
        {load.state === 'error' && <ApiErrorAlert error={load.error} title="The incident could not be loaded" />}
        {detail && (
          <Stack direction="column" gap={2}>
            <Header detail={detail} user={user} onChanged={reload} />
            <TabsBar>
              {TABS.map((t) => (
                <Tab
                  key={t.id}
                  label={t.label}
                  icon={t.icon}
                  active={tab === t.id}
                  onChangeTab={() =>
                    setParams((p) => {
                      const next = new URLSearchParams(p);
                      next.set('tab', t.id);
                      return next;
                    })
                  }
                />
              ))}
            </TabsBar>
            <TabContent>
              {tab === 'timeline' && <Timeline detail={detail} user={user} onChanged={reload} />}
              {tab === 'metrics' && <Metrics detail={detail} />}
              {tab === 'containment' && <Containment detail={detail} user={user} onChanged={reload} />}
              {tab === 'evidence' && <Evidence detail={detail} />}
              {tab === 'review' && <Review detail={detail} user={user} onChanged={reload} />}
            </TabContent>
          </Stack>
        )}
      </div>
    </PluginPage>
  );
}

export default Incident;
