// Image references as users write them: `[registry/]repository[:tag][@digest]`,
// with Docker Hub's defaults (docker.io, `library/`), as distribution/reference parses them.
import { parseDigest, type Digest } from '../digest/digest.ts';
import { UserError } from '../errors.ts';

/** A parsed image reference. `registry` is the host as written (or `docker.io`). */
export interface ImageReference {
  readonly registry: string;
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: Digest;
}

export const DOCKER_HUB = 'docker.io';
// Docker Hub's API lives on a different host than the one in references.
const DOCKER_HUB_API = 'registry-1.docker.io';

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const HOST = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:.]+\])(?::[0-9]+)?$/;

const REFERENCE_FORM = '[registry/]repository[:tag][@sha256:<hex>], e.g. docker.io/library/alpine:3.20';
const REPO_TAG_FORM = 'NAME:TAG with a lower-case NAME, e.g. registry.example.com/team/app:1.0';

/** Parses a reference; `where` names the argument for error messages, `form` is what is expected. */
export function parseReference(text: string, where = 'image reference', form = REFERENCE_FORM): ImageReference {
  const fail = (why: string): never => {
    throw new UserError('bad-reference', `${where} ${JSON.stringify(text)}: ${why}; expected ${form}`);
  };
  if (text === '') fail('empty');
  let rest = text;
  let digest: Digest | undefined;
  const at = rest.lastIndexOf('@');
  if (at !== -1) {
    digest = parseDigest(rest.slice(at + 1), `${where} ${JSON.stringify(text)}`);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) fail(`bad tag ${JSON.stringify(tag)}`);
  }
  const parts = rest.split('/');
  let registry = DOCKER_HUB;
  // The first component is a registry host only when it looks like one (docker's rule).
  const first = parts[0] ?? '';
  if (parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    registry = first;
    parts.shift();
    if (!HOST.test(registry)) fail(`bad registry host ${JSON.stringify(registry)}`);
  }
  if (registry === 'index.docker.io') registry = DOCKER_HUB;
  if (registry === DOCKER_HUB && parts.length === 1) parts.unshift('library');
  for (const part of parts) {
    if (!COMPONENT.test(part)) fail(`bad repository component ${JSON.stringify(part)} (lower-case letters, digits and . _ - separators only)`);
  }
  const repository = parts.join('/');
  if (repository.length > 255) fail('repository name longer than 255 characters');
  return { registry, repository, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/**
 * Checks a `name:tag` to record in an archive's RepoTags as `docker load` reads it (a named,
 * tagged reference without digest); returns it unchanged, as written.
 */
export function checkRepoTag(text: string, where: string): string {
  const reference = parseReference(text, where, REPO_TAG_FORM);
  if (reference.digest !== undefined) {
    throw new UserError('bad-reference', `${where} ${JSON.stringify(text)}: a digest cannot be recorded as a tag; expected ${REPO_TAG_FORM}`);
  }
  if (reference.tag === undefined) {
    throw new UserError('bad-reference', `${where} ${JSON.stringify(text)}: no tag (docker load needs one); expected ${REPO_TAG_FORM}`);
  }
  return text;
}

/** The canonical text of a reference (the digest wins over the tag when both are set). */
export function formatReference(reference: ImageReference): string {
  const name = `${reference.registry}/${reference.repository}`;
  if (reference.digest) return `${name}@${reference.digest}`;
  return `${name}:${reference.tag ?? 'latest'}`;
}

/** Whether a registry host is this machine: such registries are spoken to over plain http. */
export function isLocalRegistry(registry: string): boolean {
  const host = registry.replace(/:[0-9]+$/, '').replace(/^\[(.*)\]$/, '$1');
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** The host:port the registry API is served from. */
export function apiHost(registry: string): string {
  return registry === DOCKER_HUB ? DOCKER_HUB_API : registry;
}
