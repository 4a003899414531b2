/**
 * "Resources file": a form over the repository's `.resources`, from `GET resources`.
 * The server parses, validates, writes and relaunches; the form shows what it says.
 */
import * as React from 'react';

import { BinderAPIError } from '../handler';
import { BinderModel } from '../model';
import {
  CommandIDs,
  IBinderModel,
  IRelaunchAnswer,
  IResourcesAnswer,
  IResourcesProblem,
  RESOURCE_KEYS,
  ResourceKey
} from '../tokens';
import {
  ActionButton,
  ErrorBox,
  ExternalLink,
  ISectionProps,
  LongText,
  Section,
  Warnings,
  useModel
} from './common';

type Draft = Record<ResourceKey, string>;

function draftFrom(file: IResourcesAnswer): Draft {
  const draft = {} as Draft;
  for (const key of RESOURCE_KEYS) {
    const value = file.values?.[key];
    draft[key] = value === null || value === undefined ? '' : String(value);
  }
  return draft;
}

function show(value: unknown): string {
  return value === null || value === undefined || value === ''
    ? '–'
    : String(value);
}

/** The problems to show: those of the last failed save, else those of the file on disk. */
function currentProblems(
  model: IBinderModel,
  file: IResourcesAnswer
): IResourcesProblem[] {
  const saveError = model.action('save-resources').error;
  const relaunchError = model.action('relaunch').error;
  for (const error of [saveError, relaunchError]) {
    if (error && Array.isArray(error.details?.problems)) {
      return error.details.problems as IResourcesProblem[];
    }
  }
  return file.problems ?? [];
}

/** The operator's ceiling for a key, if any: a request is bounded by its limit's. */
function ceilingOf(file: IResourcesAnswer, key: ResourceKey): number | null {
  const { ceilings } = file;
  const value =
    key === 'cpur' || key === 'cpul'
      ? ceilings.cpul
      : key === 'memr' || key === 'meml'
        ? ceilings.meml
        : ceilings.gpu;
  return typeof value === 'number' ? value : null;
}

function RunningVsFile(props: {
  trans: ISectionProps['trans'];
  labels: Record<ResourceKey, string>;
  file: IResourcesAnswer;
}): JSX.Element {
  const { trans, labels, file } = props;
  // The server's own view of what runs now, in the file's units.
  const running = (key: ResourceKey): string => show(file.running[key]);
  return (
    <table className="jp-BinderExt-compare">
      <thead>
        <tr>
          <th />
          <th>{trans.__('Running now')}</th>
          <th>{trans.__('File asks for')}</th>
        </tr>
      </thead>
      <tbody>
        {RESOURCE_KEYS.map(key => (
          <tr key={key} data-key={key}>
            <th scope="row">{labels[key]}</th>
            <td data-column="running">{running(key)}</td>
            <td data-column="file">{show(file.effective?.[key])}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function RelaunchOutcome(props: {
  busy: boolean;
  result: IRelaunchAnswer | null;
  error: BinderAPIError | null;
  trans: ISectionProps['trans'];
}): JSX.Element | null {
  const { busy, result, error, trans } = props;
  if (busy) {
    return (
      <div className="jp-BinderExt-outcome" data-outcome="relaunch">
        {trans.__('Committing, pushing and launching…')}
      </div>
    );
  }
  if (error) {
    return (
      <div data-outcome="relaunch">
        <ErrorBox error={error} trans={trans} />
      </div>
    );
  }
  if (!result) {
    return null;
  }
  const url = result.launch?.url;
  return (
    <div
      className={`jp-BinderExt-outcome ${result.ok ? '' : 'jp-mod-warn'}`}
      data-outcome="relaunch"
    >
      {result.message && <div>{result.message}</div>}
      {result.commit?.sha && (
        <div className="jp-BinderExt-muted">
          {trans.__('Commit')}{' '}
          <code>{result.commit.short_sha || result.commit.sha}</code>
          {result.commit.branch ? ` (${result.commit.branch})` : ''}
        </div>
      )}
      {result.push && !result.push.ok && result.push.output && (
        <pre className="jp-BinderExt-code" data-figure="push-output">
          {result.push.output}
        </pre>
      )}
      {result.stop_current?.message && (
        <div className="jp-BinderExt-muted">{result.stop_current.message}</div>
      )}
      {url && (
        <ExternalLink href={url}>
          {trans.__('Open the new launch')}
        </ExternalLink>
      )}
    </div>
  );
}

export function ResourcesSection(props: ISectionProps): JSX.Element {
  const { model, trans, commands } = props;
  useModel(model, ['resources', 'actions']);
  const state = model.section('resources');
  const file = state.data;
  const [draft, setDraft] = React.useState<Draft | null>(null);
  // A new text on disk (loaded, saved, relaunched) resets the form to it.
  React.useEffect(() => {
    if (file) {
      setDraft(draftFrom(file));
    }
  }, [file?.etag, file?.text]);

  const labels: Record<ResourceKey, string> = {
    cpur: trans.__('CPU request (cores)'),
    cpul: trans.__('CPU limit (cores)'),
    memr: trans.__('RAM request (GB)'),
    meml: trans.__('RAM limit (GB)'),
    gpu: trans.__('GPUs')
  };
  const save = model.action('save-resources');
  const relaunch = model.action<IRelaunchAnswer>('relaunch');

  return (
    <Section
      id="resources"
      title={trans.__('Resources file')}
      state={state}
      trans={trans}
      onRefresh={() => void model.refresh('resources')}
    >
      {data => {
        const values = draft ?? draftFrom(data);
        const problems = currentProblems(model, data);
        const placeholders = data.defaults;
        const aboveCeiling = RESOURCE_KEYS.filter(key => {
          const ceiling = ceilingOf(data, key);
          const value = Number(values[key]);
          return ceiling !== null && values[key] !== '' && value > ceiling;
        });
        const unplaced = problems.filter(
          p => !p.key || !RESOURCE_KEYS.includes(p.key as ResourceKey)
        );
        const conflict = save.error?.status === 409;
        return (
          <>
            <Warnings warnings={data.warnings} />
            <form
              className="jp-BinderExt-form"
              onSubmit={event => {
                event.preventDefault();
                if (aboveCeiling.length > 0) {
                  return;
                }
                void model
                  .saveResources(BinderModel.formValues(values))
                  .catch(() => undefined);
              }}
            >
              {RESOURCE_KEYS.map(key => {
                const mine = problems.filter(p => p.key === key);
                const id = `jp-BinderExt-field-${key}`;
                const ceiling = ceilingOf(data, key);
                const tooHigh = aboveCeiling.includes(key);
                return (
                  <div
                    className="jp-BinderExt-field"
                    key={key}
                    data-field={key}
                  >
                    <label htmlFor={id}>{labels[key]}</label>
                    <input
                      id={id}
                      name={key}
                      className={`jp-mod-styled jp-BinderExt-input ${tooHigh || mine.some(p => p.severity !== 'warning') ? 'jp-mod-invalid' : ''}`}
                      type="text"
                      inputMode="decimal"
                      value={values[key]}
                      placeholder={show(placeholders[key])}
                      title={
                        ceiling !== null
                          ? trans.__('At most %1 on this site', ceiling)
                          : undefined
                      }
                      data-max={ceiling ?? undefined}
                      aria-invalid={tooHigh || mine.length > 0}
                      onChange={event =>
                        setDraft({
                          ...values,
                          [key]: event.currentTarget.value
                        })
                      }
                    />
                    {tooHigh && (
                      <div
                        className="jp-BinderExt-problem jp-mod-error"
                        data-problem={key}
                      >
                        {trans.__('This site allows at most %1.', ceiling)}
                      </div>
                    )}
                    {mine.map((p, i) => (
                      <div
                        key={i}
                        className={`jp-BinderExt-problem jp-mod-${p.severity}`}
                        data-problem={key}
                      >
                        {p.message}
                      </div>
                    ))}
                  </div>
                );
              })}
              {unplaced.map((p, i) => (
                <div
                  key={i}
                  className={`jp-BinderExt-problem jp-mod-${p.severity}`}
                  data-problem={p.key ?? 'file'}
                >
                  {p.line ? trans.__('Line %1: ', p.line) : ''}
                  {p.message}
                </div>
              ))}
              {save.error && !Array.isArray(save.error.details?.problems) && (
                <ErrorBox error={save.error} trans={trans} />
              )}
              {save.error && Array.isArray(save.error.details?.problems) && (
                <div
                  className="jp-BinderExt-problem jp-mod-error"
                  data-problem="summary"
                >
                  {save.error.message}
                </div>
              )}
              <div className="jp-BinderExt-actions">
                <ActionButton
                  name="save-resources"
                  kind="accept"
                  label={save.busy ? trans.__('Saving…') : trans.__('Save')}
                  disabled={
                    save.busy || relaunch.busy || aboveCeiling.length > 0
                  }
                  onClick={() =>
                    void model
                      .saveResources(BinderModel.formValues(values))
                      .catch(() => undefined)
                  }
                />
                <ActionButton
                  name="relaunch"
                  label={trans.__('Relaunch with these resources')}
                  disabled={
                    save.busy || relaunch.busy || aboveCeiling.length > 0
                  }
                  onClick={() =>
                    void commands.execute(CommandIDs.relaunch, {
                      values: BinderModel.formValues(values) as any
                    })
                  }
                />
                {conflict && (
                  <ActionButton
                    name="reload-resources"
                    label={trans.__('Reload the file')}
                    onClick={() => void model.refresh('resources')}
                  />
                )}
              </div>
            </form>
            <RelaunchOutcome {...relaunch} trans={trans} />
            <RunningVsFile trans={trans} labels={labels} file={data} />
            <div className="jp-BinderExt-listTitle">
              {data.path ? (
                <LongText text={data.path} code />
              ) : (
                trans.__('File')
              )}
            </div>
            {data.exists ? (
              <pre className="jp-BinderExt-code" data-figure="resources-text">
                {data.text}
              </pre>
            ) : (
              <div className="jp-BinderExt-muted">
                {trans.__('No file yet: the site defaults apply.')}
              </div>
            )}
          </>
        );
      }}
    </Section>
  );
}
