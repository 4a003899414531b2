/**
 * "Your work": what idle deletion of this project would lose, from `GET work`, with one action
 * to copy it to the persistent volume and one to commit and push it. Other projects near
 * their deletion carry the server's mark; their own summary is asked for only on a click
 * (the request counts as activity there).
 */
import { Notification } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import type {
  IChangedFile,
  IHeldBackFile,
  IProjectAtRisk,
  IRuntimeInstalls,
  ISaveAnswer,
  ISiblingWorkAnswer
} from '../answers';
import { formatBytes, formatDate, formatRelative } from '../format';
import type { IBinderModel } from '../tokens';
import {
  ActionButton,
  ActionOutcome,
  ISectionProps,
  Notice,
  Row,
  Section,
  useModel
} from './common';

function FileList(props: {
  files: IChangedFile[];
  name: string;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { files, name, trans } = props;
  if (files.length === 0) {
    return null;
  }
  return (
    <div className="jp-BinderExt-list" data-list={name}>
      {files.map(file => (
        <div
          key={file.path}
          className="jp-BinderExt-listItem"
          data-path={file.path}
          data-status={file.status}
          data-on-volume={file.on_volume}
        >
          <span className="jp-BinderExt-listName" title={file.path}>
            {file.path}
          </span>
          <span className="jp-BinderExt-muted">
            {file.status}
            {file.size !== null ? ` · ${formatBytes(file.size)}` : ''}
            {file.on_volume === 'same' ? ` · ${trans.__('on the volume')}` : ''}
          </span>
        </div>
      ))}
    </div>
  );
}

/** What the server held back: never listed as work, copied or committed, and why. */
function HeldBackList(props: {
  files: IHeldBackFile[];
  trans: TranslationBundle;
}): JSX.Element | null {
  const { files, trans } = props;
  if (files.length === 0) {
    return null;
  }
  return (
    <details className="jp-BinderExt-list" data-list="held-back">
      <summary className="jp-BinderExt-listTitle">
        {trans._n(
          'Never saved: %1 file that is not work',
          'Never saved: %1 files or folders that are not work',
          files.length
        )}
      </summary>
      {files.map(file => (
        <div
          key={`${file.path}:${file.line ?? ''}`}
          className="jp-BinderExt-listItem"
          data-path={file.path}
          data-rule={file.rule}
        >
          <span className="jp-BinderExt-listName" title={file.path}>
            {file.path}
          </span>
          <span className="jp-BinderExt-muted">{file.message}</span>
        </div>
      ))}
    </details>
  );
}

/**
 * Packages installed since launch that the environment files lack (the environment's own
 * scan): lost with the container, kept by the Environment section's action.
 */
function RuntimeInstalls(props: {
  installs: IRuntimeInstalls;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { installs, trans } = props;
  if (installs.count === 0) {
    return null;
  }
  return (
    <div className="jp-BinderExt-list" data-list="runtime-installs">
      <div className="jp-BinderExt-listTitle">{installs.message}</div>
      {installs.packages.map(item => (
        <div
          key={item.name}
          className="jp-BinderExt-listItem"
          data-package={item.name}
        >
          <span className="jp-BinderExt-listName">{item.name}</span>
          <span className="jp-BinderExt-muted">
            {item.version} · {item.manager}
          </span>
        </div>
      ))}
      <ActionButton
        name="go-to-environment"
        label={trans.__('Keep them: open Environment')}
        onClick={showEnvironmentSection}
      />
    </div>
  );
}

/** Open the panel's Environment section and bring it into view. */
function showEnvironmentSection(): void {
  const frame = document.querySelector<HTMLElement>(
    '.jp-BinderExt-panel [data-section="environment"]'
  );
  const details = frame?.querySelector('details');
  if (details) {
    details.open = true;
  }
  frame?.scrollIntoView({ block: 'start' });
  frame?.querySelector<HTMLElement>('summary')?.focus();
}

function ProjectAtRisk(
  props: ISectionProps & { project: IProjectAtRisk }
): JSX.Element {
  const { project, model, trans } = props;
  const action = model.action<ISiblingWorkAnswer>(`work:${project.name}`);
  const work = action.result?.work;
  return (
    <div
      className="jp-BinderExt-project jp-mod-deletionNear"
      data-at-risk={project.name}
    >
      <div className="jp-BinderExt-projectHead">
        <span className="jp-BinderExt-listName">{project.display_name}</span>
      </div>
      <div className="jp-BinderExt-warnText" data-figure="mark">
        {project.mark}
      </div>
      <div className="jp-BinderExt-actions">
        <ActionButton
          name="check-project-work"
          label={trans.__('Check its work')}
          title={trans.__(
            'Asks that project through the hub; this counts as activity there.'
          )}
          disabled={action.busy}
          onClick={() => void model.projectWork(project.name).catch(() => null)}
        />
      </div>
      <ActionOutcome
        busy={action.busy}
        error={action.error}
        result={work ? { message: work.message } : null}
        trans={trans}
        name={`work:${project.name}`}
      />
    </div>
  );
}

export function WorkSection(props: ISectionProps): JSX.Element {
  const { model, trans } = props;
  useModel(model, ['work', 'actions']);
  const action = model.action<ISaveAnswer>('save-work');
  const [message, setMessage] = React.useState('');
  return (
    <Section
      id="work"
      title={trans.__('Your work')}
      state={model.section('work')}
      trans={trans}
      onRefresh={() => void model.refresh('work')}
    >
      {work => {
        const unpushed = work.unpushed.count;
        const hasChanges = work.changed.length > 0;
        return (
          <>
            <div
              className={
                work.at_risk ? 'jp-BinderExt-warning jp-BinderExt-block' : ''
              }
              data-figure="summary"
              data-at-risk={work.at_risk ? 'yes' : 'no'}
            >
              {work.message}
            </div>
            {work.deletion.known && (
              <Row label={trans.__('Deleted if idle')} name="deletion">
                <span
                  data-figure="expires-at"
                  title={formatDate(work.deletion.expires_at)}
                >
                  {formatRelative(work.deletion.expires_at)}
                </span>
              </Row>
            )}
            {!work.deletion.known && <Notice text={work.deletion.message} />}
            {work.branch && (
              <Row label={trans.__('Branch')} name="branch">
                <code>{work.branch}</code>
                {unpushed > 0 && (
                  <span data-figure="unpushed">
                    {' · '}
                    {trans._n(
                      '%1 unpushed commit',
                      '%1 unpushed commits',
                      unpushed
                    )}
                  </span>
                )}
              </Row>
            )}
            <FileList files={work.changed} name="changed" trans={trans} />
            {work.outside.files.length > 0 && (
              <div className="jp-BinderExt-listTitle">
                {trans.__('Outside the repository (%1)', work.outside.root)}
              </div>
            )}
            <FileList files={work.outside.files} name="outside" trans={trans} />
            <HeldBackList files={work.held_back} trans={trans} />
            <RuntimeInstalls installs={work.runtime_installs} trans={trans} />
            <Notice text={work.volume.message} />
            {work.warnings.map(warning => (
              <Notice key={warning} text={warning} />
            ))}
            <div className="jp-BinderExt-actions">
              <ActionButton
                name="save-persistent"
                kind="accept"
                label={trans.__('Copy to persistent storage')}
                disabled={
                  action.busy ||
                  !work.volume.available ||
                  (work.unsaved_files === 0 && !work.incomplete)
                }
                onClick={() =>
                  void model.saveWork({ to: 'persistent' }).catch(() => null)
                }
              />
            </div>
            {work.repository && (
              <div className="jp-BinderExt-actions">
                <input
                  aria-label={trans.__('Commit message')}
                  className="jp-mod-styled jp-BinderExt-input"
                  data-field="commit-message"
                  placeholder={trans.__('Commit message (commits the changes)')}
                  value={message}
                  onChange={event => setMessage(event.target.value)}
                />
              </div>
            )}
            {work.repository && (
              <div className="jp-BinderExt-actions">
                <ActionButton
                  name="save-github"
                  label={
                    message.trim()
                      ? trans.__('Commit and push')
                      : trans.__('Push commits')
                  }
                  disabled={
                    action.busy ||
                    (unpushed === 0 &&
                      !((hasChanges || work.incomplete) && message.trim()))
                  }
                  onClick={() =>
                    void model
                      .saveWork(
                        message.trim()
                          ? { to: 'github', message: message.trim() }
                          : { to: 'github' }
                      )
                      .then(() => setMessage(''))
                      .catch(() => null)
                  }
                />
              </div>
            )}
            <ActionOutcome
              busy={action.busy}
              error={action.error}
              result={action.result}
              trans={trans}
              name="save-work"
            />
            {work.reminder.projects.length > 0 && (
              <div className="jp-BinderExt-list" data-list="at-risk">
                <div className="jp-BinderExt-listTitle">
                  {trans.__('Other projects near deletion')}
                </div>
                <div className="jp-BinderExt-muted">{work.sibling.message}</div>
                {work.reminder.projects.map(project => (
                  <ProjectAtRisk
                    key={project.name}
                    {...props}
                    project={project}
                  />
                ))}
              </div>
            )}
          </>
        );
      }}
    </Section>
  );
}

/**
 * Read `work` once the app is ready and, when the server says so (this project has unsaved
 * work and another one is near its deletion), show one notification.
 */
export async function remindOfWork(
  model: IBinderModel,
  trans: TranslationBundle,
  openPanel: () => void
): Promise<void> {
  await model.refresh('work');
  const reminder = model.section('work').data?.reminder;
  if (!reminder?.notify) {
    return;
  }
  Notification.warning(reminder.message, {
    autoClose: false,
    actions: [{ label: trans.__('Open the Binder panel'), callback: openPanel }]
  });
}
