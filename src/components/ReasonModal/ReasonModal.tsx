import React, { useEffect, useState } from 'react';
import { Button, Field, Modal, Stack, TextArea } from '@grafana/ui';
import { ApiError, toApiError } from '../../api/client';
import { ApiErrorAlert } from '../ApiErrorAlert/ApiErrorAlert';

interface Props {
  title: string;
  label: string;
  description?: string;
  confirmText: string;
  required?: boolean;
  destructive?: boolean;
  children?: React.ReactNode; // more fields above the reason
  // The fields above have a problem (the caller shows it next to them): submitting sends nothing and calls onTouched.
  blocked?: boolean;
  onTouched?: () => void;
  onConfirm: (reason: string) => Promise<unknown>;
  onDismiss: () => void;
}

const MAX_REASON = 2000;

// ReasonModal asks for a reason before a change; a refused change keeps the modal open with what was typed and the
// server's message.
export function ReasonModal({
  title,
  label,
  description,
  confirmText,
  required = true,
  destructive,
  children,
  blocked,
  onTouched,
  onConfirm,
  onDismiss,
}: Props) {
  useRestoreFocus();
  const [reason, setReason] = useState('');
  const [touched, setTouched] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  const invalid =
    required && reason.trim() === ''
      ? 'A reason is required'
      : reason.length > MAX_REASON
        ? `At most ${MAX_REASON} characters`
        : undefined;

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setTouched(true);
    onTouched?.();
    if (invalid || blocked) {
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      await onConfirm(reason.trim());
      onDismiss();
    } catch (err) {
      setError(toApiError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal title={title} isOpen onDismiss={onDismiss}>
      <form onSubmit={submit}>
        <Stack direction="column" gap={2}>
          {children}
          <Field
            label={label}
            description={description}
            required={required}
            invalid={touched && !!invalid}
            error={touched ? invalid : undefined}
          >
            <TextArea
              value={reason}
              onChange={(e) => setReason(e.currentTarget.value)}
              rows={3}
              autoFocus
              aria-label={label}
            />
          </Field>
          {error && <ApiErrorAlert error={error} />}
          <Modal.ButtonRow>
            <Button variant="secondary" fill="outline" type="button" onClick={onDismiss}>
              Cancel
            </Button>
            <Button
              type="submit"
              variant={destructive ? 'destructive' : 'primary'}
              disabled={busy}
              icon={busy ? 'spinner' : undefined}
            >
              {confirmText}
            </Button>
          </Modal.ButtonRow>
        </Stack>
      </form>
    </Modal>
  );
}

// useRestoreFocus gives the focus back to what had it when the dialog opened (the button that opened it) once the
// dialog closes, so a keyboard user goes on from where they were, not from the top of the page.
function useRestoreFocus() {
  const [opener] = useState(() => (document.activeElement instanceof HTMLElement ? document.activeElement : null));
  useEffect(
    () => () => {
      // After the dialog's own focus handling has run.
      setTimeout(() => opener?.isConnected && opener.focus());
    },
    [opener]
  );
}
