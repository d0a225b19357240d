import { createHash } from 'node:crypto';

/** The score of a (link, member) pair: the same on every member, so every member computes the same answer. */
function score(link: string, member: string): bigint {
  return createHash('sha256').update(member).update('\u0000').update(link).digest().readBigUInt64BE(0);
}

/**
 * Capped rendezvous (highest-random-weight) hashing: each link goes to its best-scoring member that still has
 * room: `floor(links / members)` each, and `links % members` of them one more (so at most `ceil` and
 * `max - min < 2`). Pairs are taken best-first over the whole table, so a balanced table is
 * plain HRW, and a join or leave moves only the links the cap forces (about links/members).
 *
 * Returns link -> member; every link is assigned when there is at least one member.
 */
export function assignLinks(links: readonly string[], members: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  const uniqueMembers = [...new Set(members)];
  if (uniqueMembers.length === 0) return out;
  const linkSet = new Set(links);
  const floor = Math.floor(linkSet.size / uniqueMembers.length);
  let extra = linkSet.size % uniqueMembers.length;
  const pairs: { link: string; member: string; score: bigint }[] = [];
  for (const link of linkSet) {
    for (const member of uniqueMembers) pairs.push({ link, member, score: score(link, member) });
  }
  pairs.sort((a, b) =>
    a.score === b.score
      ? a.member < b.member
        ? -1
        : a.member > b.member
          ? 1
          : a.link < b.link
            ? -1
            : 1
      : a.score > b.score
        ? -1
        : 1,
  );
  const load = new Map<string, number>();
  for (const p of pairs) {
    if (out.has(p.link)) continue;
    const n = load.get(p.member) ?? 0;
    if (n > floor || (n === floor && extra === 0)) continue;
    if (n === floor) extra--;
    out.set(p.link, p.member);
    load.set(p.member, n + 1);
  }
  return out;
}
