"""boto3 clients built the way every AWS pane needs them: the standard credential chain,
explicit timeouts, and no hidden retries (the caller backs off and says so on screen)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

AwsService = Literal["logs", "cloudwatch", "ecs", "sts", "rds"]  # the services the cockpit calls


@dataclass(frozen=True)
class AwsTarget:
    """Where AWS calls go: region and profile ('' = the default chain decides).

    The endpoint comes from the standard chain too (`AWS_ENDPOINT_URL` for local
    emulators), so nothing here asks for or stores keys.
    """

    region: str = ""
    profile: str = ""
    connect_timeout: float = 3.0
    read_timeout: float = 10.0


def make_client(service: AwsService, target: AwsTarget) -> Any:
    """A boto3 client for `service` (slow: ~100 ms; build once, in a thread).

    Raises botocore's NoRegionError / ProfileNotFound (see errors.classify_aws).
    """
    import boto3
    from botocore.config import Config

    session = boto3.session.Session(profile_name=target.profile or None, region_name=target.region or None)
    config = Config(
        connect_timeout=target.connect_timeout,
        read_timeout=target.read_timeout,
        retries={"total_max_attempts": 1},  # one request per call: throttling must be seen, not hidden
        tcp_keepalive=True,
        user_agent_appid="cockpit",  # type: ignore[call-arg]  # botocore has it since 1.31, botocore-stubs lacks it
    )
    return session.client(service, config=config)


class LazyClient:
    """One client for `service`, built on first use by whichever thread needs it first.

    Threads share it (boto3 clients are thread-safe). A failed build is not remembered:
    the next call tries again (credentials or config may have been fixed meanwhile).
    """

    def __init__(self, service: AwsService, target: AwsTarget) -> None:
        import threading

        self.service = service
        self.target = target
        self._client: Any = None
        self._lock = threading.Lock()

    def get(self) -> Any:
        """The client (raises what make_client raises)."""
        with self._lock:
            if self._client is None:
                self._client = make_client(self.service, self.target)
            return self._client
