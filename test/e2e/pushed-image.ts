// Checks of an image a test pushed, with the tools users have: skopeo inspect, docker pull +
// run, podman pull. Only 127.0.0.1 registries are contacted (dockerd and these flags treat them
// as insecure, so plain http and a test CA both work).
import assert from 'node:assert/strict';
import { execa } from 'execa';

/** `skopeo inspect` of a pushed reference: its digest and layer digests. */
export async function skopeoInspect(reference: string, extra: readonly string[] = ['--tls-verify=false']): Promise<{ Digest: string; Layers: string[] }> {
  const { stdout } = await execa('skopeo', ['inspect', ...extra, `docker://${reference}`]);
  return JSON.parse(stdout) as { Digest: string; Layers: string[] };
}

/** `skopeo inspect` that must fail (no such tag): returns its stderr. */
export async function skopeoInspectFails(reference: string, extra: readonly string[] = ['--tls-verify=false']): Promise<string> {
  const result = await execa('skopeo', ['inspect', ...extra, `docker://${reference}`], { reject: false });
  assert.notEqual(result.exitCode, 0, `skopeo inspect ${reference} succeeded: ${result.stdout}`);
  return result.stderr;
}

/** docker pulls the reference and runs it without network; returns the container's stdout. The image is removed afterwards. */
export async function dockerPullRun(reference: string, digest: string): Promise<string> {
  await execa('docker', ['pull', reference], { stdin: 'ignore' });
  try {
    const digests = (await execa('docker', ['image', 'inspect', '--format', '{{json .RepoDigests}}', reference])).stdout;
    assert.ok(digests.includes(digest), `docker's RepoDigests ${digests} lack ${digest}`);
    return (await execa('docker', ['run', '--rm', '--network', 'none', reference], { stdin: 'ignore' })).stdout;
  } finally {
    await execa('docker', ['rmi', reference], { reject: false });
  }
}

/** podman pulls the reference; returns the digest podman recorded. The image is removed afterwards. */
export async function podmanPull(reference: string): Promise<string> {
  return podmanPullWith(reference, []);
}

/** podman pull with extra flags (`--creds user:password`). */
export async function podmanPullWith(reference: string, flags: readonly string[]): Promise<string> {
  await execa('podman', ['pull', '--quiet', '--tls-verify=false', ...flags, reference], { stdin: 'ignore' });
  try {
    return (await execa('podman', ['image', 'inspect', '--format', '{{.Digest}}', reference])).stdout.trim();
  } finally {
    await execa('podman', ['rmi', reference], { reject: false });
  }
}
