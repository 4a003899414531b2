/** "Persistent storage": the user's volume and this instance's folder, from `GET persistence`. */
import * as React from 'react';

import { formatBytes, formatDate, percent } from '../format';
import { CommandIDs, IPersistence } from '../tokens';
import {
  ActionButton,
  ActionOutcome,
  Bar,
  ISectionProps,
  Row,
  Section,
  Warnings,
  useModel
} from './common';

/** The link in the server's root folder, as a path the file browser can open. */
export function linkPath(persistence: IPersistence | null): string | null {
  const link = persistence?.link;
  if (!link || !link.exists || link.blocked) {
    return null;
  }
  return link.browser_path || link.name || null;
}

export function StorageSection(props: ISectionProps): JSX.Element {
  const { model, trans, commands } = props;
  useModel(model, ['persistence', 'actions']);
  const action = model.action('instance-dir');
  return (
    <Section
      id="storage"
      title={trans.__('Persistent storage')}
      state={model.section('persistence')}
      trans={trans}
      onRefresh={() => void model.refresh('persistence')}
    >
      {p => {
        const link = linkPath(p);
        const hasFolder = Boolean(p.instance_dir?.exists && link);
        return (
          <>
            <Row label={trans.__('Volume')} name="path">
              <code className="jp-BinderExt-wrap">{p.path}</code>
            </Row>
            <Row label={trans.__('State')} name="state">
              {p.mounted
                ? trans.__(
                    'mounted (%1)',
                    p.fs_type ?? trans.__('unknown type')
                  )
                : trans.__('not a mount of its own')}
              {' · '}
              {p.writable ? trans.__('writable') : trans.__('not writable')}
            </Row>
            {p.write_error && (
              <div className="jp-BinderExt-muted">{p.write_error}</div>
            )}
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
                  level={
                    (p.warnings ?? []).some(w => /full|space/i.test(w.kind))
                      ? 'warn'
                      : 'ok'
                  }
                />
              </>
            ) : null}
            <Warnings warnings={p.warnings} />
            <Row label={trans.__('This instance')} name="instance-dir">
              {p.instance_dir ? (
                <>
                  <code className="jp-BinderExt-wrap">
                    {p.instance_dir.path}
                  </code>
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
                <code>{link}</code>
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
                    <span className="jp-BinderExt-listName">
                      {folder.name}
                      {folder.is_current && (
                        <span className="jp-BinderExt-badge">
                          {trans.__('this instance')}
                        </span>
                      )}
                    </span>
                    <span className="jp-BinderExt-muted">
                      {folder.size !== undefined && folder.size !== null
                        ? formatBytes(folder.size)
                        : ''}
                      {(folder.mtime ?? folder.last_modified) && (
                        <>
                          {' '}
                          · {formatDate(folder.mtime ?? folder.last_modified)}
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
