import { Clipboard } from '@jupyterlab/apputils';
import * as React from 'react';

import { notifyErrorUnlessShown, notifyUnlessShown } from '../notify';
import { ActionButton, ISectionProps } from './common';

/**
 * "Copy report": the server's plain-text report on project `name` (nothing secret in it),
 * for the service desk. The outcome is told once: beside the button while the panel is open,
 * else as a toast. A failed build starts no project: its report is the one on this notebook,
 * which carries the failure of the newest build a relaunch from it followed.
 */
export function CopyReport(
  props: ISectionProps & { name: string }
): JSX.Element {
  const { model, trans, name } = props;
  const [busy, setBusy] = React.useState(false);
  const [copied, setCopied] = React.useState('');
  const copy = async (): Promise<void> => {
    setBusy(true);
    try {
      Clipboard.copyToSystem((await model.projectReport(name)).text);
      const message = trans.__(
        'Report copied: paste it into your message to the service desk.'
      );
      setCopied(message);
      notifyUnlessShown(model, message);
    } catch (error) {
      notifyErrorUnlessShown(model, error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <ActionButton
        name="copy-report"
        label={trans.__('Copy report')}
        disabled={busy}
        onClick={() => void copy()}
      />
      {copied && (
        <span className="jp-BinderExt-muted" data-outcome="copy-report">
          {copied}
        </span>
      )}
    </>
  );
}
