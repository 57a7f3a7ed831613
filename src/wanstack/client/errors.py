"""What the client commands raise: a usage mistake (exit 2) or an answer of the server (exit 1)."""

from __future__ import annotations

#: codes that refuse the account itself (billing), whatever the request
_ACCOUNT_CODES = frozenset(
    {
        "Arrearage",
        "CommodityNotPurchased",
        "PrepaidBillOverdue",
        "PostpaidBillOverdue",
        "AllocationQuota.FreeTierOnly",
    }
)


class ClientError(Exception):
    """Something the command reports and then stops for (exit status 1)."""

    exit_status = 1


class UsageError(ClientError):
    """Arguments, environment, manifest or output folder are wrong (exit status 2); nothing
    was sent to the server."""

    exit_status = 2


class JournalError(ClientError):
    """The batch journal cannot be written: the batch stops, since going on would submit
    requests that a resumed run could not account for."""


class ApiError(ClientError):
    """A DashScope error answer: HTTP status, ``code`` and ``message`` as the server sent them."""

    def __init__(self, status: int, code: str, message: str, request_id: str = "") -> None:
        self.status = status
        self.code = code
        self.message = message
        self.request_id = request_id
        super().__init__(f"{code}: {message}" if message else code)

    @property
    def refusal(self) -> bool:
        """The server refused this request for what it is (a bad parameter, a missing file):
        sending it again would be refused again. Not a refused key, a throttle or a 5xx."""
        return 400 <= self.status < 500 and self.status not in (408, 409, 429) and not self.fatal

    @property
    def fatal(self) -> bool:
        """The key or the account is refused: every further request would be refused too."""
        return self.status == 401 or self.code in _ACCOUNT_CODES
