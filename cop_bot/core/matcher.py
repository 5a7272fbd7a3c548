"""Text in, domains out: the one matcher `/find-expert`, `/ask`, `/domains`, profiles and
practices rest on.

Every name of a domain (its slug, its label in each language, its synonyms and the lexicon's
terms) is an *entry* of words, each word compared by its folded form and its Snowball stem
(`core.words`). A typed word is compared by the stems of every language its script allows, then,
if nothing knows it, split as a German compound, then corrected for a typo against the words the
lexicon holds (never across a negating prefix: *irregular* is not a typo of *regular*).

A word weighs what it tells apart: its inverse document frequency over the 22 domains, so a word
that names many domains weighs little, and the lexicon's generic words (refugee, migrant, women)
weigh least of all. A domain's evidence is the weight of the typed words its entries explain,
whole entries counting more than parts of one; its confidence says how well its best entry
matched and how much of what was typed it explains. A domain whose evidence is only a subset of a
stronger one's is a suggestion, not a match; two that explain the query about equally are both
matches, the more specific first.

A term's weight (`core.lexicon`) also says what kind of word it is: below 0.7 an ambiguous
everyday word that needs the rest of the query to agree (*visto*, *news*), above 1 a term that
decides over the setting it is named in (*interpreter* at the hospital), and where one matches,
the other domains' phrases ("GP appointment") earn no bonus. A generic phrase whose
words name a domain on their own (*asylum* of *asylum seeker*) is generic only when typed whole.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from cop_bot.core import words as w

FULL = 1.0
PART = 0.45
"""How much a typed word counts toward a domain when it completes one of its entries, and when it
is only part of a longer entry."""
PHRASE_BONUS = 0.35
"""Extra evidence for a whole entry of several words matched together ("job interview")."""
GOOD = 82.0
"""The confidence from which a domain is a match (`core.taxonomy.GOOD_MATCH`)."""
TYPO_MIN = 84.0
TYPO_MIN_SHORT = 89.0
"""rapidfuzz ratios a typo correction needs (words of 5-6 letters need more)."""
SWAP_CUTOFF = 80.0
SWAP_RATIO = 90.0
"""Two neighbouring letters swapped (`empelo` for `empleo`) score only 83 by `fuzz.ratio`, below
the cutoff for short words; they are one slip of the fingers and count as a 90."""
SHORT_STEM = 4
SHORT_STEM_SURE = 0.9
"""A four-letter stem joins unrelated words (Italian *partita*, a match, and *partiti*, parties,
are both `part`): a word that meets an entry only through such a stem is less sure of it, and
alone it is a suggestion. Arabic's three-letter roots are its normal stems and are left alone."""
DERIVED = 4
DERIVED_SURE = 0.85
"""A stem shared by words four or more letters apart in length is a derivation, not an
inflection: Spanish *periodismo* (journalism) stems like English *period*."""
HIT_MEMO_SIZE = 20_000
TELLING = 2.4
"""The weight of typed words that, on their own, tell a domain apart: a word only two of the 22
domains use weighs log(1 + 22/2) = 2.5."""
NAME_WEIGHT = 1.15
"""A domain's own name (slug, label) counts a little more than a synonym: "labour" is the labour
market before it is "forced labour"."""
TF_GAIN = 0.2
TF_CAP = 8
"""A word in many of a domain's entries says more about that domain ("labour" is in a dozen of
the labour market's, two of legal migration's): +20 % per doubling, up to eight entries."""
GENERIC_WEIGHT = 0.3
WEIGHT_MARGIN = 0.3
"""A term's weight ranks its domains fully, but costs confidence only below 0.7: the main sense
of a shared term (0.6) is a match, an even split (0.5 / 0.5) two suggestions."""
AGREEMENT = 0.2
AMBIGUOUS = 0.7
AGREEMENT_SHARE = 0.9
"""An ambiguous term (weighed below 0.7: Italian *visto* is a visa and "seen") is a match only
when the rest of the query agrees: the domain explains at least 90 % of the telling words typed
("rinnovo del visto"), or when it is all the query says besides the people it is for ("food for
refugees": a generic word says the query is about our field), not when it stands alone or among
unknown words ("ha visto le mie chiavi", "my cat is sick"). The agreeing words are besides the
ambiguous phrase's own ("electricity bill" alone is a suggestion), and one of them is neither
ambiguous nor chatter ("musique et danse" is a suggestion, "rinnovo del visto" a match)."""
GENERIC_ONLY = 78.0
"""A query of generic words only ("refugees", "hello refugees team!") names the people, not the
need: its best domain is a suggestion ("Closest: International protection"), never a match."""
UNSURE = 0.93
UNSURE_AMID = 78.0
"""A domain whose every word is only a typo's correction or a short stem's guess, next to words
it does not explain, is a suggestion: "salut l'équipe" is a greeting, not Italian *salute*,
"vacaciones" not *vaccines*. Typed alone ("empelo"), the correction still matches. So is one
word that several domains use (community, training, office) amid greetings and office chatter
(`core.words.CHATTER`: coffee, the printer, a birthday), or one that meets its domain only
through part of an entry there. A long word a suffix away from the entry (*Psychotherapeutin*,
0.94) is sure enough (`UNSURE`). A change of plan (`core.words.NEWS`: postponed, I'll be
late) makes every domain a suggestion: the message tells, it does not ask."""
CHATTER_TELLING = math.log(1.0 + 22 / 1.5)
"""Amid chatter, one word must name a single domain (*dentist*) to be a match: *training* of
"training day" names education and the labour market."""
SPAN = 1
"""The words of an entry typed far apart are part of it, not the entry: "family barbecue, bring
your children" is not "bring my family". And a hyphenated entry that keeps one word
(*start-up*) is met only by that word as typed, not by a verb's stem ("starts", "startet")."""
NEGATION_WEIGHT = 2.0
"""A negation (`غير`, `non`, `sin`) weighs as a word two domains use: what it negates decides."""
_NEGATION_KEYS = frozenset(w.NEGATIONS)
"""How much a generic word (refugee, migrant) counts where the lexicon lists it under a domain."""


def _stem_sureness(word: str, key: str) -> float:
    """How sure a typed word is of an entry it meets through `key` (see `SHORT_STEM`)."""
    language, _colon, stem = key.partition(":")
    if not stem or language == "ar" or len(stem) > SHORT_STEM or key == word:
        return 1.0
    return SHORT_STEM_SURE


@dataclass(frozen=True)
class Entry:
    """One name of a domain: a label, a synonym, a lexicon term."""

    slug: str
    text: str
    via: str
    weight: float
    keys: tuple[frozenset[str], ...]
    """Each content word's comparison keys."""


@dataclass(frozen=True)
class Scored:
    slug: str
    confidence: float
    term: str
    via: str
    evidence: float


@dataclass
class _Domain:
    evidence: dict[int, float] = field(default_factory=dict)  # typed word -> its contribution
    explains: dict[int, float] = field(default_factory=dict)  # typed word -> its own weight
    sure: dict[int, float] = field(default_factory=dict)  # typed word -> how sure, at best
    full: list[tuple[Entry, float]] = field(default_factory=list)  # entries matched whole
    part: list[tuple[Entry, float]] = field(default_factory=list)
    firm: set[int] = field(default_factory=set)  # typed words an unambiguous entry uses


class Matcher:
    """Built once per taxonomy (a few thousand entries, in about 0.1 s), then pure and fast."""

    def __init__(
        self,
        names: Iterable[tuple[str, str, str, str | None, float]],
        generic: Iterable[tuple[str, str]],
        domain_count: int,
    ) -> None:
        """`names`: (slug, text, via, language or None, weight); `generic`: (text, language)."""
        self.entries: list[Entry] = []
        self._postings: dict[str, list[tuple[int, int]]] = {}  # key -> (entry, word position)
        self._generic: set[str] = set()
        self._domains = max(domain_count, 1)
        exact: set[int] = set()
        """Entries met only by their word as typed, never a stem or a typo's correction."""
        acronyms: set[str] = set()
        """Typed exactly or not at all: "great" is not a typo of GRETA."""
        for slug, text, via, language, weight in names:
            acronyms.update(w.fold(t) for t in text.split() if len(t) > 1 and t.isupper())
            content = w.content(text)
            found = tuple(w.keys(word, language) for word in content)
            if not found or (
                len(found) == 1 and len(text.split()) > 1 and content[0] in w.EVERYDAY
            ):
                continue  # "have a say", "día y noche": what is left to compare is chatter
            if len(found) == 1 and "-" in text and len(w.fold(text).split()) > 1:
                found = (frozenset(k for k in found[0] if ":" not in k),)  # see `SPAN`
                exact.add(len(self.entries))
            index = len(self.entries)
            self.entries.append(Entry(slug, text, via, weight, found))
            for position, word_keys in enumerate(found):
                for key in word_keys:
                    self._postings.setdefault(key, []).append((index, position))
        self._exact = frozenset(exact)
        solo = {k for e in self.entries if len(e.keys) == 1 for k in e.keys[0]}
        self._phrases: list[tuple[frozenset[str], ...]] = []
        """Generic phrases with a word that names a domain on its own ("asylum" of "asylum
        seeker"): that word is generic only where the whole phrase is typed."""
        self._phrases_with: dict[str, list[int]] = {}
        for text, language in generic:
            words = [x for x in w.content(text) if x not in w.NEGATIONS]  # they decide
            parts = [w.keys(word, language) for word in words]
            if len(parts) > 1 and any(keys & solo for keys in parts):
                for key in {k for keys in parts for k in keys}:
                    self._phrases_with.setdefault(key, []).append(len(self._phrases))
                self._phrases.append(tuple(parts))
                parts = [keys for keys in parts if not keys & solo]
            for keys in parts:
                self._generic |= keys
        self._weights = [tuple(self._word_idf(k) for k in e.keys) for e in self.entries]
        """Each entry word's own weight, so a partial match knows how much of it was typed."""
        self._vocabulary: dict[int, list[str]] = {}
        for key in self._postings:
            if len(key) >= 4 and ":" not in key and key not in acronyms:  # words, not stems
                self._vocabulary.setdefault(len(key), []).append(key)
        self._known = set(self._postings) | self._generic
        self._chatter = w.CHATTER - {x for e in self.entries for x in w.content(e.text)}
        """Chatter that no entry uses is no evidence; chatter an entry uses ("room to rent",
        "fête de quartier") still is, and says the query may be chatter all the same."""
        self._typos: dict[str, tuple[frozenset[str], float]] = {}
        self._hit_memo: dict[str, tuple[list[tuple[int, int, float]], bool]] = {}
        self._weight_sums = [sum(weights) for weights in self._weights]
        self._own_name = [NAME_WEIGHT if e.via != "synonym" else 1.0 for e in self.entries]
        self._lengths = [
            tuple(min((len(k) for k in keys if ":" not in k), default=0) for keys in e.keys)
            for e in self.entries
        ]

    def _word_idf(self, word_keys: frozenset[str]) -> float:
        if word_keys & self._generic:
            return math.log(2.0)
        slugs = {self.entries[i].slug for key in word_keys for i, _p in self._postings.get(key, ())}
        return math.log(1.0 + self._domains / max(len(slugs), 1))

    # ---- a typed word ------------------------------------------------------------------

    def _hits(self, word: str) -> tuple[list[tuple[int, int, float]], bool]:
        """The entries a typed word is part of, each with how sure that is (1, or a typo
        correction's ratio), and whether it is a generic word. A word that only a stem relates
        to the lexicon (*vivenda*) may also be a typo of one it holds (*vivienda*). Remembered:
        members type the same few hundred words all day."""
        found = self._hit_memo.get(word)
        if found is None:
            if len(self._hit_memo) > HIT_MEMO_SIZE:
                self._hit_memo.clear()
            found = self._hit_memo[word] = self._find_hits(word)
        return found

    def _find_hits(self, word: str) -> tuple[list[tuple[int, int, float]], bool]:
        keys = w.keys(word)
        generic = bool(keys & self._generic)
        hits = [
            (e, p, self._sureness(word, key, e, p))
            for key in keys
            for e, p in self._postings.get(key, ())
        ]
        if word in self._postings or (generic and not hits):
            return hits, generic
        corrected, ratio = self._typo(word)
        if corrected:
            seen = {(e, p) for e, p, _s in hits}
            hits += [
                (e, p, ratio / 100.0)
                for key in corrected
                for e, p in self._postings.get(key, ())
                if (e, p) not in seen and e not in self._exact
            ]
            generic = generic or bool(corrected & self._generic)
        return hits, generic

    def _sureness(self, word: str, key: str, entry: int, position: int) -> float:
        """1 for a word as typed or an inflection of it; less for a short stem (`SHORT_STEM`)
        or a derivation (`period` and `periodismo`, `account` and `accountability`)."""
        sure = _stem_sureness(word, key)
        length = self._lengths[entry][position]
        if ":" in key and length and abs(len(word) - length) >= DERIVED:
            sure = min(sure, DERIVED_SURE)
        return sure

    def _typo(self, word: str) -> tuple[frozenset[str], float]:
        if len(word) < 5 or not word.isalpha():
            return frozenset(), 0.0
        found = self._typos.get(word)
        if found is not None:
            return found
        cutoff = TYPO_MIN_SHORT if len(word) <= 6 else TYPO_MIN
        best: tuple[frozenset[str], float] = (frozenset(), 0.0)
        for size in range(len(word) - 2, len(word) + 3):
            for choice, score, _i in process.extract(
                word,
                self._vocabulary.get(size, ()),
                scorer=fuzz.ratio,
                score_cutoff=min(cutoff, SWAP_CUTOFF),
                limit=5,
            ):
                if score < cutoff:  # two letters swapped ("empelo") count as one slip
                    if size != len(word) or OSA.distance(word, choice) != 1:
                        continue
                    score = max(score, SWAP_RATIO)
                if score > best[1] and choice[0] == word[0] and not w.negated_pair(word, choice):
                    best = (frozenset({choice}), float(score))
        if len(self._typos) > 50_000:
            self._typos.clear()
        self._typos[word] = best
        return best

    def _expand(self, words: Sequence[str]) -> list[str]:
        """German compounds the lexicon does not hold, as the parts it does."""
        out: list[str] = []
        for word in words:
            parts: list[str] = []
            if (
                len(word) >= 9
                and word.isascii()
                and word not in w.CHATTER  # a Geburtstag is not a Geburt
                and not (w.keys(word) & self._known)
            ):
                for form in dict.fromkeys((word, w.umlauts(word))):
                    parts = parts or w.split_compound(form, self._known)
            out.extend(parts or [word])
        return out

    # ---- the query -----------------------------------------------------------------------

    def match(self, query: str, limit: int = 5) -> list[Scored]:
        typed = self._expand(list(dict.fromkeys(w.content(query)))[:40])
        if not typed or w.is_ping(query):
            return []
        hits: list[list[tuple[int, int, float]]] = []
        generic: list[bool] = []
        for word in typed:
            found, is_generic = self._hits(word) if word not in self._chatter else ([], False)
            hits.append(found)
            generic.append(is_generic)
        self._generic_phrases(typed, generic, hits)
        idf = [self._idf(found, g) for found, g in zip(hits, generic, strict=True)]
        everyday = [  # an everyday word that is no entry on its own, nor a negation
            word in w.EVERYDAY and not any(len(self.entries[e].keys) == 1 for e, _p, _s in found)
            for word, found in zip(typed, hits, strict=True)
        ]
        domains = self._domains_of(hits, idf, generic, everyday)
        if not domains:
            return []
        only_generic = all(generic[i] for i, h in enumerate(hits) if h or generic[i])
        counted = [i for i in range(len(typed)) if only_generic or not generic[i]]
        known = sum(idf[i] for i in counted if hits[i])
        spelled = frozenset(typed)
        chatty = frozenset(i for i, word in enumerate(typed) if word in w.CHATTER)
        news = any(word in w.NEWS for word in typed)
        said = frozenset(w.fold(query).split())
        family_news = "?" not in query and all(said & s for s in (w.RELATIVES, w.GOT, w.NEW))
        if news or family_news:
            ranked = self._rank(
                domains, known, len(counted), generic, only_generic, spelled, chatty
            )
            return [replace(s, confidence=min(s.confidence, UNSURE_AMID)) for s in ranked][:limit]
        ranked = self._rank(domains, known, len(counted), generic, only_generic, spelled, chatty)
        return ranked[:limit]

    def _generic_phrases(
        self, typed: Sequence[str], generic: list[bool], hits: Sequence[Sequence[object]]
    ) -> None:
        """Mark the words of a generic phrase typed whole ("demandeurs d'asile") as generic,
        unless it is all the query says: "migranti irregolari" alone names its domain."""
        keys = [w.keys(word) for word in typed]
        candidates = {p for k in keys for key in k for p in self._phrases_with.get(key, ())}
        phrased: set[int] = set()
        for phrase in candidates:
            at = [
                next((i for i, k in enumerate(keys) if k & part), -1)
                for part in self._phrases[phrase]
            ]
            if -1 not in at:
                phrased.update(i for i in at if not generic[i])
                for i in at:
                    generic[i] = True
        if phrased and all(generic[i] for i, h in enumerate(hits) if h):
            for i in phrased:
                generic[i] = False

    def _idf(self, found: list[tuple[int, int, float]], is_generic: bool) -> float:
        if found and all(self.entries[e].keys[p] & _NEGATION_KEYS for e, p, _s in found):
            return NEGATION_WEIGHT  # what separates irregular from regular migration
        if is_generic:
            return math.log(1.0 + 1.0)  # as if every domain named it
        slugs = {self.entries[entry].slug for entry, _pos, _sure in found}
        return math.log(1.0 + self._domains / max(len(slugs), 1)) if slugs else 0.0

    def _domains_of(
        self,
        hits: list[list[tuple[int, int, float]]],
        idf: list[float],
        generic: list[bool],
        everyday: list[bool],
    ) -> dict[str, _Domain]:
        covered: dict[int, dict[int, tuple[int, float]]] = {}  # entry -> position -> (word, sure)
        for i, found in enumerate(hits):
            for at, position, sure in found:
                slot = covered.setdefault(at, {})
                if position not in slot or sure > slot[position][1]:
                    slot[position] = (i, sure)
        domains: dict[str, _Domain] = {}
        entries_with: dict[tuple[str, int], int] = {}  # (domain, typed word) -> entries it is in
        telling_typed = any(found and not generic[i] for i, found in enumerate(hits))
        for index, positions in covered.items():
            entry = self.entries[index]
            spots = [i for i, _s in positions.values()]
            close = max(spots) - min(spots) <= SPAN * len(spots)
            whole = len(positions) == len(entry.keys) and close
            if not whole and telling_typed and all(generic[i] for i, _s in positions.values()):
                continue  # part of an entry, by generic words only, next to words that tell
            if not whole and len(positions) == 1 and everyday[spots[0]]:
                continue  # one everyday word of a phrase: "temps" is not "temps de prière"
            domain = domains.setdefault(entry.slug, _Domain())
            weights = self._weights[index]
            share = sum(weights[p] for p in positions) / self._weight_sums[index]
            counts = FULL if whole else PART + (FULL - PART) * share
            quality = min(sure for _i, sure in positions.values())
            own_name = self._own_name[index]
            weighs = entry.weight if whole else min(entry.weight, 1.0)  # a term decides whole
            for i, sure in positions.values():
                entries_with[(entry.slug, i)] = entries_with.get((entry.slug, i), 0) + 1
                domain.sure[i] = max(sure, domain.sure.get(i, 0.0))
                if entry.weight >= AMBIGUOUS:
                    domain.firm.add(i)
                weight = GENERIC_WEIGHT if generic[i] else 1.0
                value = idf[i] * sure * counts * weighs * weight * own_name
                if value > domain.evidence.get(i, 0.0):
                    domain.evidence[i] = value
                    domain.explains[i] = idf[i] * sure
            sureness = quality * min(1.0, entry.weight + WEIGHT_MARGIN)
            if whole:
                domain.full.append((entry, sureness))
                telling = sum(idf[i] for i, _s in positions.values() if not generic[i])
                if len(positions) > 1 and telling:
                    domain.evidence[-1 - index] = PHRASE_BONUS * telling * quality * entry.weight
            else:
                domain.part.append((entry, share * sureness))
        for (slug, i), count in entries_with.items():  # BM25's term frequency, saturated
            domains[slug].evidence[i] *= 1.0 + TF_GAIN * math.log2(min(count, TF_CAP))
        deciding = {s for s, d in domains.items() if any(e.weight > 1.0 for e, _q in d.full)}
        for slug, domain in domains.items() if deciding else ():
            if slug not in deciding:  # "GP appointment" is where an interpreter is needed
                domain.evidence = {i: v for i, v in domain.evidence.items() if i >= 0}
        return domains

    def _rank(
        self,
        domains: dict[str, _Domain],
        known: float,
        counted: int,
        generic: list[bool],
        only_generic: bool,
        spelled: frozenset[str] = frozenset(),
        chatty: frozenset[int] = frozenset(),
    ) -> list[Scored]:
        chatter = bool(chatty)  # the typed words that are chatter (a party, the bank card)
        scored: list[tuple[float, float, Scored, frozenset[int]]] = []
        for slug, domain in domains.items():
            evidence = sum(domain.evidence.values())
            words = frozenset(
                i for i in domain.evidence if i >= 0 and (only_generic or not generic[i])
            )
            if not words:  # only generic words point here ("asylum seekers" in a housing query)
                scored.append((evidence, 0, self._generic_only(slug, domain, evidence), words))
                continue
            explained = sum(domain.explains[i] for i in words) / known if known else 0.0
            coverage = len(words) / counted if counted else 0.0
            """How much of what was typed (unknown words included) this domain accounts for."""
            if domain.full:
                entry, quality = max(
                    domain.full,
                    key=lambda eq: (
                        eq[1],
                        len(eq[0].keys),
                        all(keys & spelled for keys in eq[0].keys),  # as typed, not a stem
                        -len(eq[0].text),
                    ),
                )
                # Agreement is words besides the ambiguous entry's own, one of them neither
                # ambiguous nor chatter: "electricity bill" is the entry, "help paying the
                # electricity bill" agrees, "rinnovo del visto" too; a *fête* with *musique*
                # and *danser* (everyday words, all three) does not.
                besides = len(entry.keys) if entry.weight < AMBIGUOUS else 1
                agreeing = domain.firm & words - chatty
                if quality < 1.0 and (
                    (len(words) > besides and explained >= AGREEMENT_SHARE and agreeing)
                    or (coverage >= 1.0 and any(generic))
                ):
                    quality = min(1.0, quality + AGREEMENT)
                confidence = 100.0 * quality * (0.72 + 0.28 * min(1.0, explained / 0.6))
                if only_generic:  # "hello refugees team!": which domain, the query does not say
                    confidence = min(confidence, GENERIC_ONLY)
            else:
                entry, quality = max(domain.part, key=lambda eq: eq[1])
                # Only part of an entry: good when the typed words are its telling part
                # ("psychosocial" of "psychosocial support"), or when they tell this domain
                # apart and are most of what was typed ("interfaith events").
                telling = min(1.0, sum(domain.explains[i] for i in words) / TELLING)
                if len(words) < 2:  # one word that is part of an entry ("mesa") says too little
                    telling = 0.0
                strength = max(quality, telling * min(1.0, coverage / 0.7))
                strength *= min(1.0, coverage / 0.4)  # one word of a long query: a weak hint
                confidence = 100.0 * (0.5 + 0.45 * strength * min(1.0, explained / 0.6))
            if coverage < 1.0 and all(domain.sure.get(i, 0.0) < UNSURE for i in words):
                confidence = min(confidence, UNSURE_AMID)  # "salut l'équipe" is not *salute*
            lone = len(words) < 2 and max(domain.explains[i] for i in words) < CHATTER_TELLING
            if chatter and (lone or not domain.full):
                confidence = min(confidence, UNSURE_AMID)  # "the wifi in the community hall"
            specificity = max((len(e.keys) for e, _q in domain.full), default=0)
            scored.append(
                (
                    evidence,
                    specificity,
                    Scored(slug, confidence, entry.text, entry.via, evidence),
                    words,
                )
            )
        scored.sort(key=lambda s: (-s[0], -s[1], -s[2].confidence, s[2].slug))
        if not scored:
            return []
        top_evidence, _spec, top, top_words = scored[0]
        out: list[Scored] = [replace(top, confidence=round(top.confidence, 1))]
        for evidence, _spec, item, words in scored[1:]:
            confidence = item.confidence
            ratio = evidence / top_evidence if top_evidence else 0.0
            if words & top_words and ratio < 0.8:  # the same words, better explained above
                confidence = min(confidence, 78.0)
            if words < top_words:  # what it explains, the first explains too, and more
                confidence = min(confidence, 72.0)
            if confidence >= GOOD:  # a second topic of the query, after the first
                confidence = max(GOOD, min(confidence, out[-1].confidence - 1 - 10 * (1 - ratio)))
            else:  # a suggestion: never above a domain the query supports more
                confidence = min(confidence, out[-1].confidence - 0.1)
            out.append(replace(item, confidence=round(confidence, 1)))
        out.sort(key=lambda s: (-s.confidence, -s.evidence, s.slug))
        return [replace(s, evidence=round(s.evidence, 3)) for s in out]

    @staticmethod
    def _generic_only(slug: str, domain: _Domain, evidence: float) -> Scored:
        """A domain only generic words point to, next to others the query names: a
        suggestion at most."""
        entry, _quality = max([*domain.full, *domain.part], key=lambda eq: eq[1])
        return Scored(slug, min(60.0, 40.0 + 20.0 * evidence), entry.text, entry.via, evidence)
