"""The objects of the sign-in, users and audit API."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from hotline.access import Role
from hotline.config import EmailAddress

__all__ = [
    "AuditOut",
    "MeOut",
    "PasswordChange",
    "TokenOut",
    "UserChange",
    "UserIn",
    "UserOut",
]

Language = Literal["en", "ru"]
Password = Annotated[str, Field(min_length=8, max_length=256)]
UserName = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.@-]{1,64}$", description="Sign-in name")]
Queues = list[Annotated[str, Field(pattern=r"^[0-9]{2,15}$")]]
Email = Annotated[EmailAddress, Field(max_length=255)]


class TokenOut(BaseModel):
    """An OAuth2 bearer token (RFC 6749 §5.1)."""

    access_token: str = Field(description="Send as Authorization: Bearer <token>")
    token_type: Literal["bearer"] = Field("bearer", description="Always bearer")
    expires_in: int = Field(description="Seconds the token lasts")


class MeOut(BaseModel):
    """The signed-in user."""

    name: str = Field(description="Sign-in name")
    role: Role = Field(description="admin, supervisor, agent or wallboard")
    extension: str | None = Field(description="The user's extension; null when none")
    queues: list[str] = Field(description="The queues in the user's scope")
    language: Language = Field(description="Language of the pages")
    email: str | None = Field(description="Where the user's notifications go; null when none")


class UserOut(BaseModel):
    """A user, as an administrator sees it (never its password)."""

    model_config = ConfigDict(from_attributes=True)

    name: str = Field(description="Sign-in name")
    role: Role = Field(description="admin, supervisor, agent or wallboard")
    extension: str | None = Field(description="Extension; an agent's is its agent extension")
    queues: list[str] = Field(description="Queues of a supervisor or a wallboard")
    language: Language = Field(description="Language of the pages")
    email: str | None = Field(description="Where the user's notifications go; null when none")
    disabled: bool = Field(description="A disabled user cannot sign in; its sessions ended")
    origin: Literal["file", "api"] = Field(description="Seeded from the file, or made by API")


class UserIn(BaseModel):
    """A new user."""

    model_config = ConfigDict(extra="forbid")

    name: UserName
    password: Password
    role: Role
    extension: str | None = None
    queues: Queues = []
    language: Language = "en"
    email: Email | None = None


class UserChange(BaseModel):
    """Changes to a user: the fields given are set. A new password or ``disabled: true``
    ends the user's sessions at once."""

    model_config = ConfigDict(extra="forbid")

    password: Password | None = None
    role: Role | None = None
    extension: str | None = None
    queues: Queues | None = None
    language: Language | None = None
    email: Email | None = Field(None, description="null clears it")
    disabled: bool | None = None


class PasswordChange(BaseModel):
    """The user's own password change."""

    model_config = ConfigDict(extra="forbid")

    old_password: str = Field(max_length=256)
    new_password: Password


class AuditOut(BaseModel):
    """One audited action."""

    model_config = ConfigDict(from_attributes=True)

    id: int = Field(description="Row number, increasing")
    time: float = Field(description="When (epoch seconds)")
    user_name: str | None = Field(description="Who acted, or the name a failed sign-in gave")
    action: str = Field(description="auth.sign_in, auth.sign_in_failed, agents.pause, ...")
    target: str | None = Field(description="What it was done to (an agent, a user)")
    detail: str | None = Field(description="More, such as the pause reason")
    address: str | None = Field(description="The client's address")
