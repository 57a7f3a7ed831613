"""The one exception tree of wanstack.

Every error a client can see carries a DashScope ``code``, an HTTP status and a message. The API
turns them into ``{"code", "message", "request_id"}`` bodies in one place
(:mod:`wanstack.api.handlers`); the worker writes the same ``code``/``message`` into a failed
task's output (:mod:`wanstack.worker.execute`), so a client sees one vocabulary whether a request
was rejected at once or failed later::

    WanstackError
    ├── ServiceError                 (has .code, .http_status; becomes a DashScope error body)
    │   ├── InvalidParameter         400 InvalidParameter
    │   │   └── ModelNotFound        400 InvalidParameter "Model not exist."
    │   ├── BadRequest               400 BadRequest.* (no model, no input, not JSON)
    │   │   └── PayloadTooLarge      400 BadRequest.TooLarge (body or header over its limit)
    │   ├── UnsupportedOperation     400 UnsupportedOperation (cancel of a finished task)
    │   ├── InvalidApiKey            401 InvalidApiKey
    │   ├── WorkspaceDenied          401 NOT AUTHORIZED
    │   ├── AccessDenied             403 AccessDenied
    │   ├── NotFound                 404 NotFound
    │   ├── MethodNotAllowed         405 MethodNotAllowed
    │   ├── RequestTimeout           408 RequestTimeOut (the client stopped sending)
    │   ├── Throttled                429 Throttling.RateQuota (carries retry_after)
    │   ├── QuotaExceeded            429 Throttling.AllocationQuota (upload space used up)
    │   ├── InternalError            500 InternalError
    │   ├── TaskFailed               500 InternalError.Algo (a sync request's task failed; its code)
    │   │   └── TaskRejected         400 InvalidParameter (…on the client's input; its code)
    │   └── ServiceUnavailable       503 ServiceUnavailable (disk full: retry later)
    │       └── StorageUnavailable   503 ServiceUnavailable (object storage unreachable)
    └── TaskError                    (a task FAILED while running; .code/.message go into output)
        ├── FileDownloadFailed       InvalidParameter.FileDownload
        ├── UnsupportedFileFormat    BadRequest.UnsupportedFileFormat
        └── MediaInvalid             InvalidParameter (wrong resolution, size, mask, …)
    TaskCanceled                     (inside a running task: stop, discard the work)
    ConfigError                      (a setting is wrong: the process refuses to start)

Third-party errors are wrapped with ``raise … from exc`` so the cause stays in logs.
"""

from __future__ import annotations


class WanstackError(Exception):
    """Base class of every error raised on purpose by wanstack."""


class ServiceError(WanstackError):
    """An error answered to the client as a DashScope error envelope."""

    code: str = "InternalError"
    http_status: int = 500
    default_message: str = (
        "An internal error has occured, please try again later or contact service support."
    )

    def __init__(self, message: str | None = None, *, code: str | None = None) -> None:
        self.message = message or self.default_message
        if code is not None:
            self.code = code
        super().__init__(self.message)


class InvalidParameter(ServiceError):
    """A request field is missing, has the wrong type or is out of range."""

    code = "InvalidParameter"
    http_status = 400
    default_message = (
        "Required parameter(s) missing or invalid, please check the request parameters."
    )


class ModelNotFound(InvalidParameter):
    """The ``model`` is not served on this endpoint (DashScope's exact wording)."""

    default_message = "Model not exist."


class BadRequest(ServiceError):
    """The request envelope itself is malformed (no model, no input, not JSON)."""

    code = "BadRequest.IllegalInput"
    http_status = 400
    default_message = "The input parameter requires json format."


class PayloadTooLarge(BadRequest):
    """A request body (or its header block) is over the limit of its route."""

    code = "BadRequest.TooLarge"
    default_message = "Payload Too Large."


class UnsupportedOperation(ServiceError):
    """The operation cannot be applied to the object in its current state."""

    code = "UnsupportedOperation"
    http_status = 400
    default_message = "Failed to cancel the task, please confirm if the task is in PENDING status."


class InvalidApiKey(ServiceError):
    """The Authorization header is missing or names no live key."""

    code = "InvalidApiKey"
    http_status = 401
    default_message = "Invalid API-key provided."


class WorkspaceDenied(ServiceError):
    """The key may not act in the workspace the request names (or names none)."""

    code = "NOT AUTHORIZED"
    http_status = 401
    default_message = (
        "Access denied: Either you are not authorized to access this workspace, "
        "or the workspace does not exist."
    )


class AccessDenied(ServiceError):
    """The caller may not use this API this way (e.g. a sync call to an async-only API)."""

    code = "AccessDenied"
    http_status = 403
    default_message = "Access denied."


class NotFound(ServiceError):
    """No such route or resource."""

    code = "NotFound"
    http_status = 404
    default_message = "Not found!"


class MethodNotAllowed(ServiceError):
    """The route exists but not for this HTTP method."""

    code = "MethodNotAllowed"
    http_status = 405
    default_message = "Method not allowed."


class Throttled(ServiceError):
    """The account exceeded a rate limit; ``retry_after`` is in whole seconds."""

    code = "Throttling.RateQuota"
    http_status = 429
    default_message = "Requests rate limit exceeded, please try again later."

    def __init__(self, message: str | None = None, *, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RequestTimeout(ServiceError):
    """The client opened a request and then stopped sending it."""

    code = "RequestTimeOut"
    http_status = 408
    default_message = "Request timed out, please try again later."


class QuotaExceeded(ServiceError):
    """The account has used up an allowance (live upload storage)."""

    code = "Throttling.AllocationQuota"
    http_status = 429
    default_message = "Allocated quota exceeded, please increase your quota limit."


class InternalError(ServiceError):
    """Something failed on the server's side; never used for a client's mistake."""


class TaskFailed(ServiceError):
    """The task a synchronous request waited on failed: answered with the task's own code and
    message (see :meth:`of`)."""

    code = "InternalError.Algo"
    http_status = 500
    default_message = (
        "An internal error has occured during execution, please try again later "
        "or contact service support."
    )

    @classmethod
    def of(cls, code: str | None, message: str | None) -> TaskFailed:
        """The error for a failed task's ``code``: a client's mistake (bad media, a refused
        URL: ``InvalidParameter…``, ``BadRequest…``) is a 400, anything else a 500."""
        code = code or cls.code
        kind = TaskRejected if code.startswith(("InvalidParameter", "BadRequest")) else TaskFailed
        return kind(message or None, code=code)


class TaskRejected(TaskFailed):
    """A synchronous request's task failed on the client's input (its media or parameters)."""

    code = "InvalidParameter"
    http_status = 400


class ServiceUnavailable(ServiceError):
    """The server cannot take the request now (its disk is full); nothing was stored, so the
    client may retry later (the SDKs retry 503 on their own)."""

    code = "ServiceUnavailable"
    http_status = 503
    default_message = "The service is temporarily unavailable, please try again later."


class StorageUnavailable(ServiceUnavailable):
    """Object storage did not answer (or answered with a server error) after its bounded
    timeouts and retries; nothing was stored, so the request may be repeated. Workers wait for
    it to come back instead of failing the task."""

    default_message = "The file storage is temporarily unavailable, please try again later."


class TaskError(WanstackError):
    """A task failed while running; ``code``/``message`` become the task's output."""

    code: str = "InternalError.Algo"
    default_message: str = (
        "An internal error has occured during execution, please try again later "
        "or contact service support."
    )

    def __init__(self, message: str | None = None, *, code: str | None = None) -> None:
        self.message = message or self.default_message
        if code is not None:
            self.code = code
        super().__init__(self.message)


class FileDownloadFailed(TaskError):
    """An input URL could not be fetched (refused address, HTTP error, too large, timeout)."""

    code = "InvalidParameter.FileDownload"
    default_message = "download for input_image error"


class UnsupportedFileFormat(TaskError):
    """An input file is not in a format the model accepts."""

    code = "BadRequest.UnsupportedFileFormat"
    default_message = "Input file format is not supported."


class MediaInvalid(TaskError):
    """An input decoded fine but breaks a rule of the model (resolution, mask size, …)."""

    code = "InvalidParameter"
    default_message = (
        "Required parameter(s) missing or invalid, please check the request parameters."
    )


class TaskCanceled(WanstackError):
    """Raised inside a running task when it was cancelled; the worker discards its work."""


class ConfigError(WanstackError):
    """A setting is wrong; raised at start, naming the setting, so the process refuses to run
    rather than failing every task later."""
