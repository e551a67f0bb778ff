// Parsing `WWW-Authenticate` challenges (RFC 7235), as registries send them on 401:
// `Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull"`.

/** One challenge: its scheme (lower-cased) and its parameters (names lower-cased). */
export interface AuthChallenge {
  readonly scheme: string;
  readonly params: Readonly<Record<string, string>>;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+/;

/** Parses a header value into its challenges, in order. Malformed trailing text is ignored. */
export function parseWwwAuthenticate(header: string): AuthChallenge[] {
  const challenges: Array<{ scheme: string; params: Record<string, string> }> = [];
  let rest = header;
  const skip = (pattern: RegExp): string | undefined => {
    const match = pattern.exec(rest);
    if (!match) return undefined;
    rest = rest.slice(match[0].length);
    return match[0];
  };
  while (true) {
    skip(/^[\s,]+/);
    const scheme = skip(TOKEN);
    if (scheme === undefined) break;
    const challenge = { scheme: scheme.toLowerCase(), params: {} as Record<string, string> };
    challenges.push(challenge);
    skip(/^\s+/);
    // token68 form (`Basic dXNlcjpwYXNz`), not used by registries' challenges: skip it.
    if (/^[A-Za-z0-9\-._~+/]+=*\s*(?:,|$)/.test(rest) && !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+\s*=[^=]/.test(rest)) {
      skip(/^[A-Za-z0-9\-._~+/]+=*/);
      continue;
    }
    // auth-params: name=value pairs separated by commas, until the next scheme.
    while (true) {
      const save = rest;
      skip(/^[\s,]+/);
      const name = skip(TOKEN);
      if (name === undefined || skip(/^\s*=\s*/) === undefined) {
        rest = save;
        break;
      }
      let value: string | undefined;
      if (rest.startsWith('"')) {
        value = '';
        let i = 1;
        for (; i < rest.length && rest[i] !== '"'; i++) {
          if (rest[i] === '\\' && i + 1 < rest.length) i++;
          value += rest[i];
        }
        rest = rest.slice(i + 1);
      } else {
        value = skip(TOKEN) ?? '';
      }
      challenge.params[name.toLowerCase()] = value;
    }
  }
  return challenges;
}
