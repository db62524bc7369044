import React, { useMemo, useState } from 'react';
import { css } from '@emotion/css';
import { dateTime, GrafanaTheme2, usePluginContext } from '@grafana/data';
import {
  Alert,
  Button,
  Checkbox,
  Combobox,
  DateTimePicker,
  Field,
  FieldSet,
  IconButton,
  Input,
  Stack,
  Text,
  TextArea,
  useStyles2,
} from '@grafana/ui';
import { api } from '../../api/client';
import { type IncidentDetail, ROOT_CAUSE_CLASSES } from '../../api/types';
import { ApiErrorAlert } from '../../components/ApiErrorAlert/ApiErrorAlert';
import { testIds } from '../../components/testIds';
import { useAction } from '../../components/useAction';
import type { AppSettings } from '../../types';
import { promExpr } from '../../utils/format';
import { MetricPanel, useMoments } from './Metrics';
import { editPermission, User } from './permissions';
import { fieldOfError, ReviewForm, toForm, toReview, validate } from './reviewForm';

// The post-incident review, side by side with the metric that triggered the incident.
export function Review({ detail, user, onChanged }: { detail: IncidentDetail; user: User; onChanged: () => void }) {
  const styles = useStyles2(getStyles);
  const inc = detail.incident;
  const [form, setForm] = useState<ReviewForm>(() => toForm(inc.review, inc));
  const [touched, setTouched] = useState(false);
  const { run, busy, error, clearError } = useAction();
  const [saved, setSaved] = useState(false);
  const p = editPermission(user, inc);
  const errs = validate(form);
  const serverField = error ? fieldOfError(error.message) : undefined;
  const fieldError = (name: string) =>
    (touched ? errs[name] : undefined) ?? (serverField === name ? error?.message : undefined);
  const set = (change: Partial<ReviewForm>) => {
    setForm((f) => ({ ...f, ...change }));
    setSaved(false);
  };
  const ctx = usePluginContext();
  const uid = (ctx?.meta.jsonData as AppSettings | undefined)?.prometheus?.datasourceUid;
  const firstExpr = useMemo(
    () => detail.alerts.map((a) => [promExpr(a.generator_url), a.alertname] as const).find(([e]) => e),
    [detail.alerts]
  );
  const moments = useMoments(detail, !!uid && !!firstExpr?.[0]);

  const save = async (e: React.FormEvent) => {
    e.preventDefault();
    setTouched(true);
    if (Object.keys(errs).length > 0 || !p.allowed) {
      return;
    }
    // On a refusal the form keeps what was typed.
    if (await run(() => api.saveReview(inc.incident_id, toReview(form)))) {
      setSaved(true);
      setTouched(false);
      onChanged();
    }
  };

  const time = (name: 'started_at' | 'detected_at' | 'contained_at', label: string) => (
    <Field label={label} invalid={!!fieldError(name)} error={fieldError(name)}>
      <Stack gap={1}>
        <DateTimePicker
          date={form[name] ? dateTime(form[name]) : undefined}
          onChange={(d) => set({ [name]: d ? d.toISOString() : undefined })}
        />
        {form[name] && (
          <IconButton name="times" aria-label={`Clear ${label}`} onClick={() => set({ [name]: undefined })} />
        )}
      </Stack>
    </Field>
  );
  const text = (
    name: 'impact' | 'affected' | 'root_cause' | 'playbook_changes' | 'regulatory_follow_up',
    label: string,
    description?: string
  ) => (
    <Field label={label} description={description} invalid={!!fieldError(name)} error={fieldError(name)}>
      <TextArea
        aria-label={label}
        rows={3}
        value={form[name]}
        onChange={(e) => set({ [name]: e.currentTarget.value })}
      />
    </Field>
  );

  return (
    <div className={styles.split}>
      <form onSubmit={save} data-testid={testIds.review.form} className={styles.form}>
        {inc.severity !== 'SEV3' && detail.review_missing.length > 0 && (
          <Alert
            severity="warning"
            title={`Review missing: a ${inc.severity} incident closes only with a complete review`}
          >
            Still missing: {detail.review_missing.join(', ')}. Where a part does not apply, write &quot;none&quot;.
          </Alert>
        )}
        <fieldset disabled={!p.allowed} className={styles.fieldset}>
          <FieldSet label="What happened">
            {time('started_at', 'Harm started')}
            {time('detected_at', 'Detected')}
            {time('contained_at', 'Contained')}
            {text('impact', 'Impact', 'What went wrong for people, in their terms')}
            {text('affected', 'Who and what was affected')}
          </FieldSet>
          <FieldSet label="Why">
            <Field
              label="Root cause class"
              invalid={!!fieldError('root_cause_class')}
              error={fieldError('root_cause_class')}
            >
              <Combobox
                id="review-root-cause-class"
                options={ROOT_CAUSE_CLASSES.map((c) => ({ value: c, label: c.replace(/_/g, ' ') }))}
                value={form.root_cause_class || null}
                onChange={(v) => set({ root_cause_class: v?.value ?? '' })}
                isClearable
              />
            </Field>
            {text('root_cause', 'Root cause')}
          </FieldSet>
          <FieldSet label="Actions">
            {form.action_items.map((a, i) => (
              <div key={i} className={styles.item} data-testid={testIds.review.item(i)}>
                <Field
                  label="Action"
                  invalid={!!fieldError(`action_items[${i}].text`)}
                  error={fieldError(`action_items[${i}].text`)}
                  className={styles.grow}
                >
                  <Input
                    aria-label={`Action ${i + 1}`}
                    value={a.text}
                    onChange={(e) =>
                      set({
                        action_items: form.action_items.map((x, j) =>
                          j === i ? { ...x, text: e.currentTarget.value } : x
                        ),
                      })
                    }
                  />
                </Field>
                <Field label="Owner">
                  <Input
                    aria-label={`Owner of action ${i + 1}`}
                    value={a.owner}
                    width={16}
                    onChange={(e) =>
                      set({
                        action_items: form.action_items.map((x, j) =>
                          j === i ? { ...x, owner: e.currentTarget.value } : x
                        ),
                      })
                    }
                  />
                </Field>
                <Field
                  label="Due (YYYY-MM-DD)"
                  invalid={!!fieldError(`action_items[${i}].due`)}
                  error={fieldError(`action_items[${i}].due`)}
                >
                  <Input
                    aria-label={`Due date of action ${i + 1}`}
                    value={a.due}
                    width={16}
                    placeholder="2026-12-31"
                    onChange={(e) =>
                      set({
                        action_items: form.action_items.map((x, j) =>
                          j === i ? { ...x, due: e.currentTarget.value } : x
                        ),
                      })
                    }
                  />
                </Field>
                <span hidden id={`review-action-${i}-status-name`}>
                  Status of action {i + 1}
                </span>
                <Field label="Status">
                  <Combobox<'open' | 'done'>
                    id={`review-action-${i}-status`}
                    aria-labelledby={`review-action-${i}-status-name`}
                    width={12}
                    options={[
                      { value: 'open', label: 'open' },
                      { value: 'done', label: 'done' },
                    ]}
                    value={a.status}
                    onChange={(v) =>
                      set({
                        action_items: form.action_items.map((x, j) => (j === i ? { ...x, status: v.value } : x)),
                      })
                    }
                  />
                </Field>
                <IconButton
                  className={styles.remove}
                  name="trash-alt"
                  aria-label={`Remove action ${i + 1}`}
                  onClick={() => set({ action_items: form.action_items.filter((_, j) => j !== i) })}
                />
              </div>
            ))}
            <Stack gap={2} alignItems="center">
              <Button
                type="button"
                variant="secondary"
                icon="plus"
                onClick={() =>
                  set({
                    action_items: [...form.action_items, { text: '', owner: '', due: '', status: 'open' }],
                    action_items_none: false,
                  })
                }
              >
                Add action
              </Button>
              {form.action_items.length === 0 && (
                <Checkbox
                  label="No actions are needed"
                  value={!!form.action_items_none}
                  onChange={(e) => set({ action_items_none: e.currentTarget.checked })}
                />
              )}
            </Stack>
          </FieldSet>
          <FieldSet label="Playbook and regulators">
            {text(
              'playbook_changes',
              'Playbook changes',
              'What changes in how we respond next time ("none" if nothing)'
            )}
            {text('regulatory_follow_up', 'Regulatory follow-up', 'What was reported, to whom ("none" if nothing)')}
          </FieldSet>
        </fieldset>
        {error && <ApiErrorAlert error={error} onRemove={clearError} />}
        {!p.allowed && p.why && <Text color="secondary">{p.why}</Text>}
        <Stack gap={1} alignItems="center">
          <Button type="submit" icon="save" disabled={!p.allowed || busy}>
            Save review
          </Button>
          {saved && <Text color="success">Saved.</Text>}
        </Stack>
      </form>
      <div className={styles.side}>
        {uid && firstExpr?.[0] ? (
          <MetricPanel expr={firstExpr[0]} title={firstExpr[1]} uid={uid} detail={detail} moments={moments} />
        ) : (
          <Text color="secondary">
            The triggering metric shows here once a Prometheus data source is configured and an alert carries an
            expression.
          </Text>
        )}
      </div>
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  split: css({
    display: 'grid',
    gridTemplateColumns: 'minmax(0, 1fr) minmax(0, 1fr)',
    gap: theme.spacing(3),
    [theme.breakpoints.down('lg')]: { gridTemplateColumns: '1fr' },
  }),
  form: css({ display: 'flex', flexDirection: 'column', gap: theme.spacing(2) }),
  fieldset: css({ border: 'none', padding: 0, margin: 0, minWidth: 0 }),
  side: css({ position: 'sticky', top: theme.spacing(2), alignSelf: 'start' }),
  item: css({ display: 'flex', gap: theme.spacing(1), alignItems: 'flex-end', flexWrap: 'wrap' }),
  // The action's text on a line of its own, its owner, due date and status under it: the review column is narrow.
  grow: css({ flexBasis: '100%' }),
  // Level with the inputs beside it, which sit above their field's bottom margin.
  remove: css({ marginBottom: theme.spacing(2.5) }),
});
