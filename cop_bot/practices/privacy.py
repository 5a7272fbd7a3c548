"""What the shared repertoire holds about a member, for `/profile export` and `/profile delete`.

Erasure asks one question (`CHOICE`): practices they published are either *transferred* to the
community (author and contact removed, their name and e-mail address taken out of the text and
its history, the rest kept, since others may rely on it) or *withdrawn* (deleted, with their
endorsements and history). Practices never published are always withdrawn: nobody else relies
on them. Their endorsements still count but no longer say who gave them, their edits to others'
practices stay in those practices without their name, and the history forgets who edited.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from sqlmodel import Session, col, select

from cop_bot.core.i18n import N_, n_
from cop_bot.core.privacy import (
    Choice,
    Notes,
    Option,
    PrivacySection,
    count_of,
    records,
    rows_of,
    titles,
)
from cop_bot.practices import changes
from cop_bot.practices.fields import FIELDS
from cop_bot.practices.review import APPROVED
from cop_bot.storage.models import Member, Practice, PracticeEndorsement, PracticeRevision

TRANSFER, WITHDRAW = "transfer", "withdraw"
REMOVED = "[removed]"
"""What the member's name and e-mail address read in a transferred practice's text."""
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PERSONAL_REVISION_KEYS = frozenset({"contact", "author"})
MIN_NAME = 3
"""Shorter names are not taken out of the text: they would match inside ordinary words."""


def _practices(session: Session, member: Member) -> dict[str, Any]:
    """Practices they shared or approved, endorsements they gave, edits and reviews they made."""
    authored = rows_of(session, Practice, Practice.author_id, member)
    endorsed = sorted(
        rows_of(session, PracticeEndorsement, PracticeEndorsement.member_id, member),
        key=lambda e: e.practice_id,
    )
    names = titles(session, Practice, (e.practice_id for e in endorsed))
    edits = rows_of(session, PracticeRevision, PracticeRevision.editor_id, member)
    approved = rows_of(session, Practice, Practice.approved_by_id, member)
    return {
        "authored": records(
            authored, "id status title summary kind domains contact created_at updated_at"
        ),
        "endorsed": [
            {
                "practice_id": e.practice_id,
                "title": names[e.practice_id],
                "endorsed_at": e.created_at,
            }
            for e in endorsed
        ],
        "edits": [
            {"practice_id": r.practice_id, "at": r.at, "fields": sorted(r.changes)} for r in edits
        ],
        "approved": records(approved, "practice_id=id title approved_at"),
    }


# ---- erasure -----------------------------------------------------------------------------------


def _question(session: Session, member: Member) -> str | None:
    published = count_of(session, Practice.author_id, member, Practice.status == APPROVED)
    if published == 0:
        return None
    return n_(
        published,
        "You shared a practice with the community. Choose what becomes of it: transfer it "
        "to the community, or withdraw it.",
        "You shared {count} practices with the community. Choose what becomes of them: "
        "transfer them to the community, or withdraw them.",
    )


CHOICE = Choice(
    options=(
        Option(
            TRANSFER,
            N_("Erase me, give my practices to the community"),
            N_(
                "Transfer: your practices stay in the repertoire as the community's, without "
                "your name, your contact details or your e-mail address; their other text is "
                "kept."
            ),
        ),
        Option(
            WITHDRAW,
            N_("Erase me and withdraw my practices"),
            N_(
                "Withdraw: your practices leave the repertoire, with their endorsements and "
                "history."
            ),
        ),
    ),
    question=_question,
    default=TRANSFER,  # what erasure from code did before it asked: shared knowledge stays
)


def _redactor(member: Member, practices: list[Practice]) -> Callable[[str], str]:
    """Takes the member's name, @handle and e-mail addresses (from the practices' contact
    fields) out of a text."""
    found = {f"@{member.handle}"}
    if member.display_name and len(member.display_name.strip()) >= MIN_NAME:
        found.add(member.display_name.strip())
    for practice in practices:
        found.update(_EMAIL.findall(practice.contact or ""))
    terms = sorted(found, key=len, reverse=True)  # "Amina Haddad" before "Amina"
    pattern = re.compile("|".join(rf"(?<!\w){re.escape(t)}(?!\w)" for t in terms), re.IGNORECASE)
    return lambda text: pattern.sub(REMOVED, text)


def _redacted(value: Any, redact: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list):
        return [_redacted(v, redact) for v in value]
    return value


def _transfer(session: Session, practice: Practice, redact: Callable[[str], str]) -> None:
    """The practice becomes the community's: no author, no contact, the member out of its
    text and of its history's diffs."""
    practice.author_id = None
    practice.contact = None
    for spec in FIELDS:
        value = getattr(practice, spec.attr)
        if value is not None and spec.attr != "contact":
            setattr(practice, spec.attr, _redacted(value, redact))
    session.add(practice)
    for revision in session.exec(
        select(PracticeRevision).where(PracticeRevision.practice_id == practice.id)
    ).all():
        revision.changes = {
            key: _redacted(pair, redact)
            for key, pair in revision.changes.items()
            if key not in _PERSONAL_REVISION_KEYS
        }
        session.add(revision)


def _erase(session: Session, member: Member, answer: str | None) -> Notes:
    authored = rows_of(session, Practice, Practice.author_id, member)
    published = [p for p in authored if p.status == APPROVED]
    unpublished = [p for p in authored if p.status != APPROVED]
    kept = published if answer == TRANSFER else []
    gone = [p for p in authored if p.status != APPROVED or answer != TRANSFER]
    mine = {p.id for p in authored if p.id is not None}
    notes = (
        *_kept_notes(len(kept), len(published) - len(kept), len(unpublished)),
        *_shared_work_notes(session, member, mine),
    )
    if kept:
        redact = _redactor(member, kept)
        for practice in kept:
            _transfer(session, practice, redact)
    for practice in gone:
        session.delete(practice)  # ON DELETE CASCADE: domains, endorsements, history
    if authored:
        version = changes.touch(session, member.community_id)
        for practice in kept:
            practice.search_version = version
        session.flush()
    return notes


def _when(count: int, note: str) -> tuple[str, ...]:
    """`core.privacy.sentence` in the active language (the member's, for `/profile delete`),
    with each language's plural forms: the note, or none for zero rows."""
    return (note,) if count > 0 else ()


def _kept_notes(transferred: int, withdrawn: int, unpublished: int) -> Notes:
    return (
        *_when(
            transferred,
            n_(
                transferred,
                "The practice you shared stays in the repertoire as the community's, as you chose: "
                "its author and contact are removed, your name and e-mail address are taken out of "
                "its text and history, and the rest of its text is kept.",
                "The {count} practices you shared stay in the repertoire as the community's, as you "
                "chose: their author and contact are removed, your name and e-mail address are "
                "taken out of their text and history, and the rest of their text is kept.",
            ),
        ),
        *_when(
            withdrawn,
            n_(
                withdrawn,
                "The practice you shared is withdrawn, with its endorsements and history, as you "
                "chose.",
                "The {count} practices you shared are withdrawn, with their endorsements and "
                "history, as you chose.",
            ),
        ),
        *_when(
            unpublished,
            n_(
                unpublished,
                "Your practice that was not published yet is withdrawn, because nobody else relies "
                "on it.",
                "Your {count} practices that were not published yet are withdrawn, because nobody "
                "else relies on them.",
            ),
        ),
    )


def _shared_work_notes(session: Session, member: Member, mine: set[int]) -> Notes:
    """What stays, without their name, in practices others shared."""
    edited = {
        r.practice_id
        for r in rows_of(session, PracticeRevision, PracticeRevision.editor_id, member)
    } - mine
    approved = count_of(session, Practice.approved_by_id, member, col(Practice.id).not_in(mine))
    endorsed = count_of(
        session,
        PracticeEndorsement.member_id,
        member,
        col(PracticeEndorsement.practice_id).not_in(mine),
    )
    return (
        *_when(
            len(edited),
            n_(
                len(edited),
                "Your edits to a practice someone else shared stay in its text and history, "
                "without your name, because they are part of that practice now.",
                "Your edits to {count} practices others shared stay in their text and history, "
                "without your name, because they are part of those practices now.",
            ),
        ),
        *_when(
            approved,
            n_(
                approved,
                "The practice you approved stays approved, without saying who approved it.",
                "The {count} practices you approved stay approved, without saying who approved them.",
            ),
        ),
        *_when(
            endorsed,
            n_(
                endorsed,
                "Your endorsement still counts, without your name, so the practice keeps its standing.",
                "Your {count} endorsements still count, without your name, so the practices keep "
                "their standing.",
            ),
        ),
    )


PRACTICES = PrivacySection(
    name="practices",
    export=_practices,
    erase=_erase,
    covers=(
        "practice.author_id",
        "practice.approved_by_id",
        "practice_endorsement.member_id",
        "practice_revision.editor_id",
    ),
    choice=CHOICE,
)
