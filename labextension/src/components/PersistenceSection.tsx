/** "Persistent storage": the user's volume and this instance's folder, from `GET persistence`. */
import * as React from 'react';

import { persistentLink } from '../copy';
import { formatBytes, formatDate, formatRelative, percent } from '../format';
import { CommandIDs, IInstanceDirAnswer } from '../tokens';
import {
  ActionButton,
  ActionOutcome,
  Bar,
  ISectionProps,
  LongText,
  Row,
  Section,
  Warnings,
  figureLevel,
  useModel
} from './common';

export function PersistenceSection(props: ISectionProps): JSX.Element {
  const { model, trans, commands } = props;
  useModel(model, ['persistence', 'actions']);
  const created = model.action<IInstanceDirAnswer>('instance-dir');
  const action = {
    ...created,
    result: created.result ? { message: created.result.action.message } : null
  };
  return (
    <Section
      id="persistence"
      title={trans.__('Persistent storage')}
      state={model.section('persistence')}
      trans={trans}
      onRefresh={() => void model.refresh('persistence')}
    >
      {p => {
        const link = persistentLink(p);
        const hasFolder = Boolean(p.instance_dir?.exists && link);
        return (
          <>
            <Row label={trans.__('Volume')} name="path">
              <LongText text={p.path} code />
            </Row>
            <Row
              label={trans.__('State')}
              name="state"
              title={[
                p.fs_type ? trans.__('File system: %1', p.fs_type) : '',
                p.write_error ?? ''
              ]
                .filter(Boolean)
                .join('\n')}
            >
              {p.writable
                ? trans.__('you can save here')
                : trans.__('cannot be written')}
            </Row>
            {p.total ? (
              <>
                <Row label={trans.__('Used')} name="usage">
                  <span data-figure="used">{formatBytes(p.used)}</span>{' '}
                  {trans.__('of')}{' '}
                  <span data-figure="total">{formatBytes(p.total)}</span> ·{' '}
                  <span data-figure="free">
                    {trans.__('%1 free', formatBytes(p.free))}
                  </span>
                </Row>
                <Bar
                  value={percent(p.used, p.total)}
                  label={trans.__('Persistent volume used')}
                  title={trans.__(
                    '%1 of %2 used',
                    formatBytes(p.used),
                    formatBytes(p.total)
                  )}
                  level={figureLevel(p.warnings, 'used')}
                />
              </>
            ) : null}
            <Warnings warnings={p.warnings} />
            <Row label={trans.__('This instance')} name="instance-dir">
              {p.instance_dir ? (
                <>
                  <LongText text={p.instance_dir.path} code />
                  {!p.instance_dir.exists && (
                    <span className="jp-BinderExt-muted">
                      {' '}
                      {trans.__('(not created yet)')}
                    </span>
                  )}
                </>
              ) : (
                '–'
              )}
            </Row>
            {link && (
              <Row label={trans.__('Link in your files')} name="link">
                <LongText text={link} code />
              </Row>
            )}
            <div className="jp-BinderExt-actions">
              {hasFolder ? (
                <ActionButton
                  name="open-instance-folder"
                  label={trans.__('Open in file browser')}
                  onClick={() =>
                    void commands.execute(CommandIDs.openInstanceDir)
                  }
                />
              ) : (
                <ActionButton
                  name="create-instance-folder"
                  kind="accept"
                  label={trans.__('Create instance folder')}
                  disabled={action.busy || !p.writable || !p.instance_dir}
                  onClick={() =>
                    void commands.execute(CommandIDs.createInstanceDir)
                  }
                />
              )}
            </div>
            <ActionOutcome {...action} trans={trans} name="instance-dir" />
            {p.instances && p.instances.length > 0 && (
              <div className="jp-BinderExt-list" data-list="instances">
                <div className="jp-BinderExt-listTitle">
                  {trans.__('Instance folders')}
                </div>
                {p.instances.map(folder => (
                  <div
                    key={folder.name}
                    className={`jp-BinderExt-listItem ${folder.is_current ? 'jp-mod-current' : ''}`}
                    data-instance={folder.name}
                  >
                    <span className="jp-BinderExt-listName" title={folder.path}>
                      {folder.name}
                      {folder.is_current && (
                        <span className="jp-BinderExt-badge">
                          {trans.__('this instance')}
                        </span>
                      )}
                    </span>
                    <span className="jp-BinderExt-muted">
                      {formatBytes(folder.size)}
                      {folder.size_complete ? '' : '+'}
                      {folder.modified && (
                        <>
                          {' · '}
                          <span
                            title={formatDate(folder.modified)}
                            data-figure="modified"
                          >
                            {formatRelative(folder.modified)}
                          </span>
                        </>
                      )}
                    </span>
                  </div>
                ))}
              </div>
            )}
          </>
        );
      }}
    </Section>
  );
}
