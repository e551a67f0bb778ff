// A tar member as a copy of it keeps it: its name and every header field but size and type
// (format.md §1.2: a docker-archive's base layers are copied under their own names and headers).
import type { TarHeader } from './header.ts';

/** Header fields a copy of a member keeps. */
export type MemberHeader = Partial<Omit<TarHeader, 'name' | 'size' | 'type'>>;

/** A member's name and header. */
export interface TarMember {
  readonly name: string;
  readonly header: MemberHeader;
}

/**
 * Implemented by values whose bytes are one member of a tar archive, such as the base layers
 * read from a docker-archive; a sink writing a tar archive of its own may keep that member
 * (ggcr's optional-interface idiom: other sinks never look).
 */
export interface ReadFromMember {
  readonly sourceMember: TarMember;
}

/** The member `value` was read from, when it says. */
export function sourceMemberOf(value: object): TarMember | undefined {
  return (value as Partial<ReadFromMember>).sourceMember;
}
