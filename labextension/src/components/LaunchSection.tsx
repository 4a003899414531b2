/** "This launch": what was launched, from `GET launch`. */
import { Clipboard } from '@jupyterlab/apputils';
import * as React from 'react';

import { CommandIDs } from '../tokens';
import {
  ActionButton,
  ExternalLink,
  ISectionProps,
  LongText,
  Notice,
  Row,
  Section,
  useModel
} from './common';

export function LaunchSection(props: ISectionProps): JSX.Element {
  const { model, trans, commands } = props;
  useModel(model, ['launch']);
  return (
    <Section
      id="launch"
      title={trans.__('This launch')}
      state={model.section('launch')}
      trans={trans}
      onRefresh={() => void model.refresh('launch')}
    >
      {launch => (
        <>
          <Notice text={launch.message} />
          {launch.repo_url && (
            <Row label={trans.__('Repository')} name="repository">
              <ExternalLink href={launch.repo_url}>
                <LongText
                  text={
                    launch.owner && launch.repo
                      ? `${launch.owner}/${launch.repo}`
                      : launch.repo_url
                  }
                />
              </ExternalLink>
            </Row>
          )}
          {launch.ref && (
            <Row label={trans.__('Ref')} name="ref">
              <LongText text={launch.ref} code />
            </Row>
          )}
          {launch.resolved_ref && (
            <Row label={trans.__('Commit')} name="commit">
              {launch.ref_url ? (
                <ExternalLink href={launch.ref_url}>
                  <LongText text={launch.resolved_ref} code name="commit" />
                </ExternalLink>
              ) : (
                <LongText text={launch.resolved_ref} code name="commit" />
              )}
            </Row>
          )}
          {launch.user && (
            <Row label={trans.__('User')} name="user">
              {launch.user}
            </Row>
          )}
          {launch.under_hub && (
            <Row label={trans.__('Server')} name="server">
              <LongText
                text={launch.server_name || trans.__('(default server)')}
              />
            </Row>
          )}
          {launch.image && (
            <Row label={trans.__('Image')} name="image">
              <LongText text={launch.image} code />
            </Row>
          )}
          {launch.launch_url && (
            <Row label={trans.__('Link to this commit')} name="launch-url">
              <ExternalLink href={launch.launch_url}>
                {trans.__('Launch again')}
              </ExternalLink>{' '}
              <button
                type="button"
                className="jp-BinderExt-textButton"
                onClick={() => Clipboard.copyToSystem(launch.launch_url)}
                title={trans.__(
                  'Copy the link that relaunches this exact commit'
                )}
              >
                {trans.__('copy')}
              </button>
            </Row>
          )}
          {launch.control_panel_url && (
            <div className="jp-BinderExt-actions">
              <ActionButton
                name="open-control-panel"
                label={trans.__('Open hub control panel')}
                onClick={() =>
                  void commands.execute(CommandIDs.openControlPanel)
                }
              />
            </div>
          )}
        </>
      )}
    </Section>
  );
}
