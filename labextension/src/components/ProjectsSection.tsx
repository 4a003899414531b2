/** "Projects (3 of 5)": the user's named servers and the slots they hold, from `GET sessions`. */
import * as React from 'react';

import { formatRelative } from '../format';
import { CommandIDs, IProject } from '../tokens';
import {
  ActionButton,
  ActionOutcome,
  ExternalLink,
  ISectionProps,
  Notice,
  Section,
  useModel
} from './common';

function stateOf(project: IProject): 'ready' | 'pending' | 'stopped' {
  if (project.stopped) {
    return 'stopped';
  }
  return project.pending ? 'pending' : 'ready';
}

function ProjectItem(
  props: ISectionProps & { project: IProject }
): JSX.Element {
  const { project, trans, commands, model } = props;
  const state = stateOf(project);
  const action = model.action(`project:${project.name}`);
  const stateLabel =
    project.state ??
    (state === 'stopped'
      ? trans.__('stopped')
      : state === 'pending'
        ? (project.pending ?? '')
        : trans.__('running'));
  // The server says when; turning seconds into days is display only.
  const seconds = project.expires_in;
  const soon = Boolean(project.expires_soon);
  // The server says when (and whether it is soon); seconds to days is display only.
  const expires =
    seconds === null || seconds === undefined
      ? null
      : soon || seconds < 86400
        ? trans.__('deleted within a day')
        : trans._n(
            'deleted in %1 day',
            'deleted in %1 days',
            Math.max(1, Math.round(seconds / 86400))
          );
  return (
    <div
      className={`jp-BinderExt-project jp-mod-${state} ${project.is_current ? 'jp-mod-current' : ''}`}
      data-project={project.name}
      data-state={state}
    >
      <div className="jp-BinderExt-projectHead">
        <span className="jp-BinderExt-listName" title={project.name}>
          {project.display_name || project.name || trans.__('(default server)')}
        </span>
        {project.is_current && (
          <span className="jp-BinderExt-badge">{trans.__('this server')}</span>
        )}
        <span className={`jp-BinderExt-state jp-mod-${state}`}>
          {stateLabel}
        </span>
      </div>
      {project.repo_url && (
        <div className="jp-BinderExt-muted jp-BinderExt-wrap">
          <ExternalLink href={project.ref_url || project.repo_url}>
            {project.repo || project.repo_url}
          </ExternalLink>
        </div>
      )}
      {state === 'stopped' && (
        <div className="jp-BinderExt-warnText">
          {trans.__('Stopped but not deleted: it still holds a slot.')}
        </div>
      )}
      <div className="jp-BinderExt-muted">
        {trans.__('last activity %1', formatRelative(project.last_activity))}
        {expires && (
          <>
            {' · '}
            <span
              className={soon ? 'jp-BinderExt-warnText' : ''}
              data-figure="expires"
            >
              {expires}
            </span>
          </>
        )}
      </div>
      <div className="jp-BinderExt-actions">
        {state === 'ready' && !project.is_current && project.url && (
          <ActionButton
            name="open"
            label={trans.__('Open')}
            onClick={() =>
              void commands.execute(CommandIDs.openProject, {
                url: project.url
              })
            }
          />
        )}
        {state !== 'stopped' && (
          <ActionButton
            name="stop"
            label={trans.__('Stop')}
            disabled={action.busy}
            onClick={() =>
              void commands.execute(CommandIDs.stopProject, {
                name: project.name,
                current: project.is_current
              })
            }
          />
        )}
        <ActionButton
          name="delete"
          label={trans.__('Delete')}
          kind={state === 'stopped' ? 'warn' : 'default'}
          disabled={action.busy}
          onClick={() =>
            void commands.execute(CommandIDs.deleteProject, {
              name: project.name,
              current: project.is_current
            })
          }
        />
      </div>
      <ActionOutcome
        {...action}
        result={null}
        trans={trans}
        name={`project:${project.name}`}
      />
    </div>
  );
}

export function ProjectsSection(props: ISectionProps): JSX.Element {
  const { model, trans } = props;
  useModel(model, ['sessions', 'actions']);
  const state = model.section('sessions');
  const data = state.data;
  const title =
    data && data.available
      ? trans.__('Projects (%1 of %2)', data.used, data.limit)
      : trans.__('Projects');
  return (
    <Section
      id="projects"
      title={title}
      state={state}
      trans={trans}
      onRefresh={() => void model.refresh('sessions')}
    >
      {sessions => (
        <>
          {sessions.full ? (
            <div
              className="jp-BinderExt-warning jp-BinderExt-block"
              data-kind="full"
            >
              {sessions.message}
            </div>
          ) : (
            <Notice text={sessions.message} />
          )}
          {(sessions.servers ?? []).map(project => (
            <ProjectItem key={project.name} {...props} project={project} />
          ))}
          {sessions.control_panel_url && (
            <div className="jp-BinderExt-actions">
              <ExternalLink href={sessions.control_panel_url}>
                {trans.__('Hub control panel')}
              </ExternalLink>
            </div>
          )}
        </>
      )}
    </Section>
  );
}
