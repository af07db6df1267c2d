"""The JSON shapes of the web API (pydantic models); the services never see them."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import Path, Query
from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from safeconduct.services.casework import CaseInfo, CasePage, CaseSummary


#: The largest id a record may have (a PostgreSQL ``integer``). Why bounded: a larger one
#: named no record but reached the database driver, which failed (a 500; the fuzzing found
#: it); now it is refused as a bad value (422) naming the parameter.
MAX_ID = 2**31 - 1
#: A record's id in a path: 1 to :data:`MAX_ID`.
RecordId = Annotated[int, Path(ge=1, le=MAX_ID, description="The record's id.")]
#: A record's id in a query (the board's forms), when one may be given.
OptionalRecordId = Annotated[
    int | None, Query(ge=1, le=MAX_ID, description="The record's id, if any.")
]


class Health(BaseModel):
    """The service answers."""

    status: Literal["ok"] = "ok"


class Token(BaseModel):
    """A bearer token (OAuth2 password flow, RFC 6749 §5.1)."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the token expires.")


class Problem(BaseModel):
    """Every error: a message for people and the request field it concerns, if any."""

    detail: str
    field: str | None = None


class CaseCreate(BaseModel):
    """A new case."""

    model_config = ConfigDict(extra="forbid")

    language: str = Field(description="ISO 639-1 code of the person's language, e.g. ru.")
    channel: str = Field("hotline", description="hotline, chat or drone.")


class TransitionRequest(BaseModel):
    """A named status transition (schedule, plan, launch, arrive, ...)."""

    model_config = ConfigDict(extra="forbid")

    transition: str


class CaseEventOut(BaseModel):
    """One step of a case's timeline."""

    at: datetime
    actor: str
    transition: str
    from_status: str
    to_status: str


class CaseOut(BaseModel):
    """A case: code, language, channel, status and timeline (times in UTC)."""

    id: int
    case_code: str = Field(description="Canonical code, no hyphen: 7KDMTW3A.")
    printed_code: str = Field(description="As printed and spoken: 7KDM-TW3A.")
    language: str
    channel: str
    status: str
    created_at: datetime
    last_changed_at: datetime
    allowed_transitions: list[str]
    events: list[CaseEventOut]

    @classmethod
    def of(cls, case: CaseInfo) -> CaseOut:
        return cls(
            id=case.id,
            case_code=case.case_code,
            printed_code=case.printed_code,
            language=case.language,
            channel=case.channel,
            status=str(case.status),
            created_at=case.created_at,
            last_changed_at=case.last_changed_at,
            allowed_transitions=list(case.allowed),
            events=[
                CaseEventOut(
                    at=e.at,
                    actor=e.actor,
                    transition=e.transition,
                    from_status=str(e.from_status),
                    to_status=str(e.to_status),
                )
                for e in case.events
            ],
        )


class CaseSummaryOut(BaseModel):
    """A case as the list shows it: no timeline (``GET /api/cases/{id}`` has it)."""

    id: int
    case_code: str = Field(description="Canonical code, no hyphen: 7KDMTW3A.")
    printed_code: str = Field(description="As printed and spoken: 7KDM-TW3A.")
    language: str
    channel: str
    status: str
    created_at: datetime = Field(description="When the case was opened (UTC).")
    last_changed_at: datetime = Field(description="Its latest transition, or its opening.")

    @classmethod
    def of(cls, case: CaseSummary) -> CaseSummaryOut:
        return cls(
            id=case.id,
            case_code=case.case_code,
            printed_code=case.printed_code,
            language=case.language,
            channel=case.channel,
            status=str(case.status),
            created_at=case.created_at,
            last_changed_at=case.last_changed_at,
        )


class CasePageOut(BaseModel):
    """One page of the case list, the latest change first."""

    items: list[CaseSummaryOut]
    next: str | None = Field(
        description="Pass it as ?after= for the next (older) page; null on the last page."
    )

    @classmethod
    def of(cls, page: CasePage) -> CasePageOut:
        return cls(items=[CaseSummaryOut.of(c) for c in page.items], next=page.next)
