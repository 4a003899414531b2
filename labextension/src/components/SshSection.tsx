/** "SSH key": the mounted key pair, from `GET ssh`; never any byte of the private key. */
import * as React from 'react';

import { CommandIDs } from '../tokens';
import {
  ActionButton,
  ActionOutcome,
  ExternalLink,
  ISectionProps,
  LongText,
  Row,
  Section,
  Warnings,
  useModel
} from './common';

export function SshSection(props: ISectionProps): JSX.Element {
  const { model, trans, commands } = props;
  useModel(model, ['ssh', 'actions']);
  const configure = model.action('configure-git');
  const test = model.action('ssh-test');
  return (
    <Section
      id="ssh"
      title={trans.__('SSH key')}
      state={model.section('ssh')}
      trans={trans}
      onRefresh={() => void model.refresh('ssh')}
    >
      {ssh => (
        <>
          {ssh.key_type && (
            <Row label={trans.__('Type')} name="key-type">
              {ssh.key_type}
            </Row>
          )}
          {ssh.fingerprint && (
            <Row label={trans.__('Fingerprint')} name="fingerprint">
              <LongText text={ssh.fingerprint} code name="fingerprint" />
            </Row>
          )}
          {ssh.comment && (
            <Row label={trans.__('Comment')} name="comment">
              {ssh.comment}
            </Row>
          )}
          {ssh.public_key && (
            <pre
              className="jp-BinderExt-code jp-BinderExt-publicKey"
              data-figure="public-key"
            >
              {ssh.public_key}
            </pre>
          )}
          <Row
            label={trans.__('Private key')}
            name="private-key"
            title={ssh.private_key.reason}
          >
            {ssh.private_key_usable
              ? trans.__('ready to use')
              : trans.__('cannot be used')}
          </Row>
          {/* One status of the remote's pushes, the server's words (as in the CLI). */}
          <Row label={trans.__('git over SSH')} name="git-configured">
            <span
              data-figure="git-over-ssh"
              data-state={ssh.git_over_ssh.state}
            >
              {ssh.git_over_ssh.message}
            </span>
          </Row>
          <Warnings warnings={ssh.warnings} />
          <div className="jp-BinderExt-actions">
            <ActionButton
              name="copy-public-key"
              label={trans.__('Copy public key')}
              disabled={!ssh.public_key}
              onClick={() => void commands.execute(CommandIDs.copyPublicKey)}
            />
            <ActionButton
              name="configure-git"
              label={
                ssh.git_configured
                  ? trans.__('Configure git again')
                  : trans.__('Configure git')
              }
              disabled={configure.busy || !ssh.public_key}
              onClick={() => void commands.execute(CommandIDs.configureGit)}
            />
            <ActionButton
              name="test-ssh"
              label={trans.__('Test connection')}
              disabled={test.busy || !ssh.public_key}
              onClick={() => void commands.execute(CommandIDs.testSsh)}
            />
          </div>
          {ssh.steps.length > 0 ? (
            <ol className="jp-BinderExt-steps">
              {ssh.steps.map(step => (
                <li
                  key={step.id}
                  data-step={step.id}
                  className={step.done ? 'jp-mod-done' : ''}
                >
                  {step.url ? (
                    <ExternalLink href={step.url}>{step.title}</ExternalLink>
                  ) : (
                    step.title
                  )}
                  {step.done ? ' ✓' : ''}
                  {step.detail && (
                    <div className="jp-BinderExt-muted">{step.detail}</div>
                  )}
                </li>
              ))}
            </ol>
          ) : (
            ssh.add_key_url && (
              <div className="jp-BinderExt-addKey">
                <ExternalLink href={ssh.add_key_url}>
                  {trans.__('Add the public key to your GitHub account')}
                </ExternalLink>
              </div>
            )
          )}
          <ActionOutcome {...configure} trans={trans} name="configure-git" />
          <ActionOutcome {...test} trans={trans} name="ssh-test" />
        </>
      )}
    </Section>
  );
}
