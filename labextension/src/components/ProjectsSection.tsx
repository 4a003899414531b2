/** "Projects (3 of 5)": the user's named servers and the slots they hold, from `GET projects`. */
import * as React from 'react';

import { formatDate, formatRelative, formatSpan } from '../format';
import { REMOVED_PROJECT } from '../notify';
import {
  CommandIDs,
  IBinderModel,
  IProgressEvent,
  IProject,
  IStartingProgress
} from '../tokens';
import {
  ActionButton,
  ActionOutcome,
  ExternalLink,
  ISectionProps,
  Notice,
  Section,
  useModel
} from './common';
import { BuildProgress } from './BuildProgress';
import { CopyReport } from './CopyReport';

/**
 * When it started and was last active. A stopped one says so: the hub stamps a stop as
 * activity, so "active now" would read as if it still ran.
 */
function ProjectTimes(
  props: ISectionProps & { project: IProject }
): JSX.Element {
  const { project, trans } = props;
  const active = (
    <span title={formatDate(project.last_activity)} data-figure="last-active">
      {project.stopped
        ? trans.__(
            'stopped, last active %1',
            formatRelative(project.last_activity)
          )
        : trans.__('active %1', formatRelative(project.last_activity))}
    </span>
  );
  return (
    <div className="jp-BinderExt-muted" data-figure="times">
      {project.started && !project.stopped && (
        <>
          <span title={formatDate(project.started)} data-figure="started">
            {trans.__('started %1', formatRelative(project.started))}
          </span>
          {' · '}
        </>
      )}
      {active}
    </div>
  );
}

/**
 * The latest progress of a starting project: the server's `starting` from the list, then
 * each event of `GET projects/{name}/progress` as it comes (the hub's own words).
 */
function useStarting(
  model: IBinderModel,
  project: IProject
): IStartingProgress | null {
  const [live, setLive] = React.useState<IProgressEvent | null>(null);
  const starting = project.state === 'starting';
  React.useEffect(() => {
    setLive(null);
    if (!starting) {
      return;
    }
    return model.followProgress(project.name, event => setLive(event));
  }, [model, project.name, starting]);
  if (!starting) {
    return null;
  }
  return {
    progress: live?.progress ?? project.starting?.progress ?? 0,
    message: live?.message ?? project.starting?.message ?? ''
  };
}

function ProjectItem(
  props: ISectionProps & { project: IProject }
): JSX.Element {
  const { project, trans, commands, model } = props;
  // The server says the state and whether deletion is near; this only words it.
  const state = project.state;
  const action = model.action(`project:${project.name}`);
  // The server's mark when this project is near deletion while this one has unsaved work.
  const atRisk = model
    .section('work')
    .data?.reminder.projects.find(p => p.name === project.name);
  // The server's words for what sets this project apart: ref @ commit · resources · name.
  const which = project.tells_apart;
  const starting = useStarting(model, project);
  const failure = project.failure;
  const label =
    project.display_name || project.name || trans.__('(default server)');
  const seconds = project.expires_in;
  const expires =
    seconds === null
      ? null
      : trans.__('deleted %1 if left idle', formatSpan(seconds));
  return (
    <div
      className={`jp-BinderExt-project jp-mod-${state} ${project.is_current ? 'jp-mod-current' : ''}`}
      data-project={project.name}
      data-state={state}
    >
      <div className="jp-BinderExt-projectHead">
        <span className="jp-BinderExt-listName" title={project.name}>
          {label}
        </span>
        {project.name_needed && (
          <span className="jp-BinderExt-muted" data-figure="server-name">
            {project.name}
          </span>
        )}
        {project.is_current && (
          <span className="jp-BinderExt-badge">{trans.__('this server')}</span>
        )}
        <span className={`jp-BinderExt-state jp-mod-${state}`}>{state}</span>
      </div>
      {(which || project.repo_url) && (
        <div className="jp-BinderExt-muted jp-BinderExt-wrap">
          {project.ref_url || project.repo_url ? (
            <ExternalLink href={project.ref_url || project.repo_url}>
              <span data-figure="launched" title={project.name}>
                {which || project.repo || project.repo_url}
              </span>
            </ExternalLink>
          ) : (
            <span data-figure="launched">{which}</span>
          )}
        </div>
      )}
      <ProjectTimes {...props} />
      {starting && (
        <div className="jp-BinderExt-starting" data-figure="starting">
          <progress
            max={100}
            value={starting.progress}
            aria-label={trans.__('Starting %1', label)}
          />
          <span className="jp-BinderExt-muted" data-figure="starting-message">
            {starting.message}
          </span>
        </div>
      )}
      {failure && (
        <div
          className="jp-BinderExt-warning jp-BinderExt-block"
          data-figure="failure"
          role="alert"
        >
          <div className="jp-BinderExt-wrap" data-figure="failure-message">
            {failure.message}
          </div>
          <div data-figure="failure-hint">{failure.hint}</div>
        </div>
      )}
      {project.stopped ? (
        <div className="jp-BinderExt-warnText" data-figure="expires">
          {trans.__(
            'Stopped: it holds a slot and is not deleted on its own; Delete frees the slot.'
          )}
        </div>
      ) : (
        expires && (
          <div
            className={
              project.deletion_near
                ? 'jp-BinderExt-warnText'
                : 'jp-BinderExt-muted'
            }
            data-figure="expires"
            title={formatDate(project.expires_at)}
          >
            {expires}
          </div>
        )
      )}
      {atRisk && (
        <div className="jp-BinderExt-warnText" data-figure="work-reminder">
          {atRisk.mark}
        </div>
      )}
      <div className="jp-BinderExt-actions">
        {state === 'running' && !project.is_current && project.url && (
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
        {!project.stopped && (
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
        {(failure || starting) && <CopyReport {...props} name={project.name} />}
        <ActionButton
          name="delete"
          label={trans.__('Delete')}
          kind={project.stopped ? 'warn' : 'default'}
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
        trans={trans}
        name={`project:${project.name}`}
      />
    </div>
  );
}

export function ProjectsSection(props: ISectionProps): JSX.Element {
  const { model, trans } = props;
  useModel(model, ['projects', 'actions', 'work']);
  const state = model.section('projects');
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
      onRefresh={() => void model.refresh('projects')}
    >
      {projects => (
        <>
          {projects.full ? (
            <div
              className="jp-BinderExt-warning jp-BinderExt-block"
              data-kind="full"
            >
              {projects.message}
            </div>
          ) : (
            <Notice text={projects.message} />
          )}
          <ActionOutcome
            {...model.action(REMOVED_PROJECT)}
            trans={trans}
            name="project-removed"
          />
          <BuildProgress {...props} builds={projects.builds ?? []} />
          {projects.servers.map(project => (
            <ProjectItem key={project.name} {...props} project={project} />
          ))}
          {projects.control_panel_url && (
            <div className="jp-BinderExt-actions">
              <ExternalLink href={projects.control_panel_url}>
                {trans.__('Hub control panel')}
              </ExternalLink>
            </div>
          )}
        </>
      )}
    </Section>
  );
}
