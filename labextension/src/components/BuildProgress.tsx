/**
 * BinderHub builds that relaunches follow (`builds` in `GET projects`): the phase, the last
 * log lines, why a build failed, and "Show the whole log" (`GET projects/builds/{build_id}/log`).
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import * as React from 'react';

import { IBuildLogAnswer, IBuildProgress } from '../answers';
import { requestAPI } from '../handler';
import { notifyError } from '../notify';
import { ActionButton, ISectionProps } from './common';
import { CopyReport } from './CopyReport';

// How often the list is read while a build runs (the server reads BinderHub's stream).
const POLL_MS = 1500;

/** Open the whole log of a build in a dialog, as BinderHub sent it. */
async function showWholeLog(
  build: IBuildProgress,
  trans: ISectionProps['trans']
): Promise<void> {
  try {
    const answer = await requestAPI<IBuildLogAnswer>(
      `projects/builds/${encodeURIComponent(build.id)}/log`
    );
    const body = (
      <pre className="jp-BinderExt-buildLog" data-figure="build-log">
        {answer.log.join('\n')}
      </pre>
    );
    await showDialog({
      title: trans.__('BinderHub build log: %1', build.id),
      body,
      buttons: [Dialog.okButton({ label: trans.__('Close') })]
    });
  } catch (error) {
    notifyError(error);
  }
}

function BuildItem(
  props: ISectionProps & { build: IBuildProgress; current: string | null }
): JSX.Element {
  const { build, trans, current } = props;
  const failure = build.failure;
  return (
    <div
      className="jp-BinderExt-project"
      data-build={build.id}
      data-phase={build.phase}
      role="group"
      aria-label={trans.__('BinderHub build %1', build.id)}
    >
      <div>
        <strong>{trans.__('BinderHub build')}</strong>{' '}
        <span
          data-figure="build-phase"
          role="status"
          aria-label={trans.__('Phase')}
        >
          {build.phase}
        </span>
        {build.server_name && (
          <span className="jp-BinderExt-muted"> → {build.server_name}</span>
        )}
      </div>
      {!build.done && (
        <progress aria-label={trans.__('Building %1', build.id)} />
      )}
      <pre
        className="jp-BinderExt-buildTail"
        data-figure="build-log-tail"
        role="log"
        aria-label={trans.__('Last log lines')}
      >
        {build.log_tail.join('\n')}
      </pre>
      {failure && (
        <div
          className="jp-BinderExt-warning jp-BinderExt-block"
          data-figure="build-failure"
          role="alert"
        >
          <div className="jp-BinderExt-wrap">{failure.message}</div>
          <div data-figure="build-hint">{failure.hint}</div>
        </div>
      )}
      <div className="jp-BinderExt-actions">
        <ActionButton
          label={trans.__('Show the whole log')}
          name="build-log"
          onClick={() => void showWholeLog(build, trans)}
        />
        {failure && current !== null && (
          <CopyReport {...props} name={current} />
        )}
      </div>
    </div>
  );
}

/** The followed builds, newest first; the list is read again while one runs. */
export function BuildProgress(
  props: ISectionProps & { builds: IBuildProgress[] }
): JSX.Element | null {
  const { model, builds } = props;
  // The notebook the relaunches were made from: its report tells of their failed builds.
  const current =
    model.section('projects').data?.servers.find(s => s.is_current)?.name ??
    null;
  const running = builds.some(build => !build.done);
  React.useEffect(() => {
    if (!running) {
      return;
    }
    const timer = window.setInterval(
      () => void model.refresh('projects'),
      POLL_MS
    );
    return () => window.clearInterval(timer);
  }, [model, running]);
  if (builds.length === 0) {
    return null;
  }
  return (
    <div data-figure="builds">
      {builds.map(build => (
        <BuildItem key={build.id} {...props} build={build} current={current} />
      ))}
    </div>
  );
}
