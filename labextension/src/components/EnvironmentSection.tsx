/**
 * "Environment": what BinderHub's next build uses (repo2docker's own verdict), what was
 * installed since launch with one action to keep it, and the checks; from `GET environment`.
 */
import * as React from 'react';

import type { ICheck, IInstalledPackage, IKeepAnswer } from '../tokens';
import {
  ActionButton,
  ActionOutcome,
  ISectionProps,
  LongText,
  Row,
  Section,
  useModel
} from './common';

export function EnvironmentSection(props: ISectionProps): JSX.Element {
  const { model, trans } = props;
  useModel(model, ['environment', 'actions']);
  const keep = model.action<IKeepAnswer>('keep-environment');
  return (
    <Section
      id="environment"
      title={trans.__('Environment')}
      state={model.section('environment')}
      trans={trans}
      onRefresh={() => void model.refresh('environment')}
    >
      {env => {
        const build = env.build;
        return (
          <>
            <p className="jp-BinderExt-muted" data-figure="environment-message">
              {env.message}
            </p>
            {build.available && (
              <>
                <Row label={trans.__('Next build')} name="build-pack">
                  {build.name}
                </Row>
                <Row label={trans.__('Reads')} name="config-dir">
                  {build.config_dir
                    ? `${build.config_dir}/`
                    : trans.__('the repository root')}
                </Row>
                <Row label={trans.__('Files used')} name="files-used">
                  {build.files_used.length > 0
                    ? build.files_used.join(', ')
                    : trans.__('none (defaults)')}
                </Row>
                {build.python && (
                  <Row label={trans.__('Python')} name="python">
                    {build.python}
                  </Row>
                )}
                {build.files_ignored.length > 0 && (
                  <ul className="jp-BinderExt-list" data-list="files-ignored">
                    {build.files_ignored.map(file => (
                      <li
                        key={file.path}
                        data-path={file.path}
                        title={file.why}
                      >
                        <LongText text={file.path} code />{' '}
                        {trans.__('ignored: %1', file.why)}
                      </li>
                    ))}
                  </ul>
                )}
              </>
            )}
            <div className="jp-BinderExt-label">
              {trans.__('Installed since launch')}
            </div>
            {env.installed.length === 0 ? (
              <div className="jp-BinderExt-muted" data-figure="installed-none">
                {trans.__('Nothing installed since this server started.')}
              </div>
            ) : (
              <ul className="jp-BinderExt-list" data-list="installed">
                {env.installed.map(pkg => (
                  <InstalledRow
                    key={`${pkg.manager}:${pkg.name}`}
                    pkg={pkg}
                    target={env.keep_file}
                    busy={keep.busy}
                    trans={trans}
                    onKeep={() => void model.keepEnvironment([pkg.name])}
                  />
                ))}
              </ul>
            )}
            {env.removed.length > 0 && (
              <ul className="jp-BinderExt-list" data-list="removed">
                {env.removed.map(pkg => (
                  <li
                    key={`${pkg.manager}:${pkg.name}`}
                    data-package={pkg.name}
                  >
                    {trans.__(
                      'removed: %1 %2 (%3)',
                      pkg.name,
                      pkg.version,
                      pkg.manager
                    )}
                  </li>
                ))}
              </ul>
            )}
            <ActionOutcome {...keep} trans={trans} name="keep-environment" />
            {keep.result?.diff && !keep.busy && (
              <pre className="jp-BinderExt-code" data-figure="keep-diff">
                {keep.result.diff}
              </pre>
            )}
            <Checks checks={env.checks} />
          </>
        );
      }}
    </Section>
  );
}

function InstalledRow(props: {
  pkg: IInstalledPackage;
  target: string | null;
  busy: boolean;
  trans: ISectionProps['trans'];
  onKeep: () => void;
}): JSX.Element {
  const { pkg, target, trans } = props;
  let state: string;
  if (pkg.in_files) {
    state = trans.__(
      'in %1 (line %2: %3)',
      pkg.in_files.file,
      pkg.in_files.line,
      pkg.in_files.spec
    );
  } else if (!pkg.keepable) {
    state = pkg.why_not ?? '';
  } else {
    state = trans.__('not in your environment files');
  }
  return (
    <li
      data-package={pkg.name}
      data-in-files={pkg.in_files ? 'yes' : 'no'}
      title={pkg.url ?? pkg.location}
    >
      <code>
        {pkg.name} {pkg.version}
      </code>{' '}
      <span className="jp-BinderExt-muted">
        ({pkg.manager}, {pkg.source})
      </span>{' '}
      <span data-figure="package-state">{state}</span>
      {!pkg.in_files && pkg.keepable && (
        <ActionButton
          name="keep-package"
          label={
            target
              ? trans.__('Keep in %1', target)
              : trans.__('Keep in environment files')
          }
          disabled={props.busy}
          onClick={props.onKeep}
        />
      )}
    </li>
  );
}

function Checks(props: { checks: ICheck[] }): JSX.Element | null {
  if (props.checks.length === 0) {
    return null;
  }
  return (
    <ul className="jp-BinderExt-warnings" data-list="checks">
      {props.checks.map((check, i) => (
        <li
          key={i}
          className={`jp-BinderExt-warning jp-mod-${check.level === 'info' ? 'info' : check.level}`}
          data-level={check.level}
          data-file={check.file}
        >
          <code>
            {check.file}
            {check.line ? `:${check.line}` : ''}
          </code>{' '}
          {check.message}
        </li>
      ))}
    </ul>
  );
}
