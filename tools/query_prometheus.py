"""query_prometheus: evaluate PromQL against the configured Prometheus, at an instant or over a range."""

from __future__ import annotations

import json
import re
import socket
import ssl
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, cast

import httpx
from pydantic import BaseModel, Field

Egress = Callable[[str, int], list[str]]
MAX_SERIES = 50
MAX_POINTS = 60
MAX_BODY = 8 * 1024 * 1024
TARGET_POINTS = 250
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
RELATIVE = re.compile(r"^now(?:\s*-\s*(\d+(?:\.\d+)?)([smhdw]))?$|^-(\d+(?:\.\d+)?)([smhdw])$")


class Sample(BaseModel):
    """One value at one time."""

    time: str = Field(description="ISO 8601 UTC.")
    value: str = Field(description="As Prometheus gives it: a number, NaN or +Inf.")


class Series(BaseModel):
    """One time series of the result."""

    metric: dict[str, str]
    value: Sample | None = Field(default=None, description="Instant queries: the value.")
    values: list[Sample] = Field(default_factory=list[Sample], description="Range queries: evenly thinned points.")
    points: int = Field(default=0, description="Points Prometheus returned for this series (before thinning).")
    min: float | None = None
    max: float | None = None
    last: float | None = None


class PrometheusResult(BaseModel):
    """The answer to one PromQL query."""

    expr: str
    query_type: str = Field(description="instant or range.")
    result_type: str = Field(description="vector, matrix, scalar or string.")
    evaluated_at: str | None = None
    start: str | None = None
    end: str | None = None
    step_seconds: float | None = None
    series: list[Series]
    series_total: int
    scalar: Sample | None = None
    warnings: list[str] = Field(default_factory=list[str])


def _resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _timestamp(text: str, now: float, what: str) -> float:
    """Unix seconds from a unix time, RFC 3339, `now`, `now-1h` or `-15m`."""
    value = text.strip()
    match = RELATIVE.match(value)
    if match:
        amount, unit = (match.group(1), match.group(2)) if match.group(3) is None else (match.group(3), match.group(4))
        return now - (float(amount) * UNITS[unit] if amount else 0.0)
    try:
        return float(value)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"{what}={text!r} is not a time; use RFC 3339 (2024-05-01T12:00:00Z), unix seconds, now, now-1h or -15m"
        ) from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()


def _step(text: str) -> float:
    value = text.strip()
    if value and value[-1] in UNITS:
        number, unit = value[:-1], value[-1]
    else:
        number, unit = value, "s"
    try:
        seconds = float(number) * UNITS[unit]
    except ValueError:
        raise ValueError(f"step={text!r} is not a duration; use seconds or 30s, 5m, 1h") from None
    if seconds <= 0:
        raise ValueError("step must be positive")
    return seconds


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat()


def _sample(pair: Any) -> Sample:
    return Sample(time=_iso(float(pair[0])), value=str(pair[1]))


def _number(text: str) -> float | None:
    try:
        number = float(text)
    except ValueError:
        return None
    return None if number != number else number  # NaN says nothing about min or max


def _series(item: dict[str, Any]) -> Series:
    labels: dict[str, Any] = item.get("metric") or {}
    metric = {str(k): str(v) for k, v in labels.items()}
    if "value" in item:
        sample = _sample(item["value"])
        number = _number(sample.value)
        return Series(metric=metric, value=sample, points=1, min=number, max=number, last=number)
    raw: list[Any] = item.get("values") or []
    numbers = [n for n in (_number(str(p[1])) for p in raw) if n is not None]
    stride = max(1, -(-len(raw) // MAX_POINTS))
    kept = raw[::stride]
    if raw and kept[-1] is not raw[-1]:
        kept = [*kept[: MAX_POINTS - 1], raw[-1]]  # the latest point matters most during an incident
    return Series(
        metric=metric,
        values=[_sample(p) for p in kept],
        points=len(raw),
        min=min(numbers) if numbers else None,
        max=max(numbers) if numbers else None,
        last=_number(str(raw[-1][1])) if raw else None,
    )


def _read(
    url: httpx.URL, params: dict[str, str], headers: dict[str, str], extensions: dict[str, Any], timeout: float
) -> tuple[int, bytes]:
    with (
        httpx.Client(verify=ssl.create_default_context(), trust_env=False, timeout=timeout) as client,
        client.stream("GET", url, params=params, headers=headers, extensions=extensions) as response,
    ):
        body = bytearray()
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > MAX_BODY:
                raise RuntimeError(
                    f"Prometheus answered with more than {MAX_BODY // 2**20} MiB; narrow the query "
                    "(fewer series with a label filter or topk, a shorter range or a larger step)."
                )
        return response.status_code, bytes(body)


def _get(base: str, path: str, params: dict[str, str], timeout: float, egress: Egress | None) -> dict[str, Any]:
    url = httpx.URL(base.rstrip("/") + path)
    if url.scheme not in ("http", "https") or not url.host:
        raise RuntimeError(f"the configured Prometheus URL {base!r} is not http(s); fix prometheus_url.")
    port = url.port or (443 if url.scheme == "https" else 80)
    addresses = (egress or _resolve)(url.host, port)[:4]
    extensions = {"sni_hostname": url.host} if url.scheme == "https" else {}
    headers = {"Host": url.netloc.decode("ascii"), "Accept": "application/json"}
    for index, address in enumerate(addresses):
        try:
            status, body = _read(url.copy_with(host=address), params, headers, extensions, timeout)
            break
        except httpx.TimeoutException:
            raise TimeoutError(
                f"Prometheus at {base} did not answer within {timeout:g} s; the query may be too heavy "
                "(shorter range, larger step) or Prometheus is overloaded."
            ) from None
        except httpx.HTTPError as exc:
            if isinstance(exc, httpx.ConnectError) and index + 1 < len(addresses) and "SSL" not in str(exc):
                continue  # the next address (IPv6 then IPv4, several A records)
            raise ConnectionError(f"could not reach Prometheus at {base} ({address}): {exc}.") from None
    else:
        raise OSError(f"{url.host} resolves to no address")
    try:
        answer: Any = json.loads(body)
    except ValueError:
        raise RuntimeError(
            f"{base}{path} answered {status} without JSON; is prometheus_url the Prometheus base URL?"
        ) from None
    if not isinstance(answer, dict):
        raise RuntimeError(f"{base}{path} answered JSON that is not a Prometheus API answer.")
    answer = cast(dict[str, Any], answer)
    if answer.get("status") != "success":
        kind, error = answer.get("errorType", "error"), answer.get("error", f"HTTP {status}")
        raise RuntimeError(f"Prometheus rejected the query ({kind}): {error}. Fix the PromQL expression or times.")
    return answer


def query_prometheus(
    expr: Annotated[str, Field(min_length=1, description="PromQL, such as rate(http_requests_total[5m]).")],
    at: Annotated[str | None, Field(description="Instant query time (RFC 3339, unix, now-1h); default now.")] = None,
    start: Annotated[str | None, Field(description="Range query start (RFC 3339, unix, now-1h, -30m).")] = None,
    end: Annotated[str | None, Field(description="Range query end; default now.")] = None,
    step: Annotated[str | None, Field(description="Range query resolution (30s, 5m); default ~250 points.")] = None,
    timeout_seconds: Annotated[float, Field(gt=0, le=60, description="Time limit for the query.")] = 15.0,
    *,
    _prometheus_url: str | None = None,
    _egress: Egress | None = None,
) -> PrometheusResult:
    """Run a PromQL query on the configured Prometheus: an instant query (optionally `at` a time), or a range
    query when `start` is given (with optional `end` and `step`).

    Each series comes back with its labels, min/max/last and at most 60 evenly thinned points;
    at most 50 series are returned (series_total says how many matched).
    """
    if not _prometheus_url:
        raise RuntimeError(
            "no Prometheus is configured; set prometheus_url in vigil.toml (or VIGIL_PROMETHEUS_URL) to its base "
            "URL, such as http://prometheus:9090."
        )
    now = time.time()
    if at is not None and (start is not None or end is not None or step is not None):
        raise ValueError("give either at (instant query) or start/end/step (range query), not both")
    if start is None and (end is not None or step is not None):
        raise ValueError("end and step need start: a range query runs from start to end")
    params: dict[str, str] = {"query": expr, "timeout": f"{timeout_seconds:g}s"}
    if start is None:
        when = _timestamp(at, now, "at") if at is not None else now
        params["time"] = f"{when:.3f}"
        answer = _get(_prometheus_url, "/api/v1/query", params, timeout_seconds, _egress)
        window: dict[str, Any] = {"query_type": "instant", "evaluated_at": _iso(when)}
    else:
        begin = _timestamp(start, now, "start")
        finish = _timestamp(end, now, "end") if end is not None else now
        if finish <= begin:
            raise ValueError(f"start ({_iso(begin)}) must be before end ({_iso(finish)})")
        seconds = _step(step) if step is not None else max(1.0, round((finish - begin) / TARGET_POINTS))
        params |= {"start": f"{begin:.3f}", "end": f"{finish:.3f}", "step": f"{seconds:g}"}
        answer = _get(_prometheus_url, "/api/v1/query_range", params, timeout_seconds, _egress)
        window = {"query_type": "range", "start": _iso(begin), "end": _iso(finish), "step_seconds": seconds}
    data: dict[str, Any] = answer.get("data") or {}
    result_type = str(data.get("resultType", "unknown"))
    result: Any = data.get("result")
    raw_warnings: list[Any] = answer.get("warnings") or []
    warnings = [str(w) for w in raw_warnings][:20]
    if result_type in ("scalar", "string"):
        return PrometheusResult(
            expr=expr,
            result_type=result_type,
            series=[],
            series_total=0,
            scalar=_sample(result),
            warnings=warnings,
            **window,
        )
    items: list[dict[str, Any]] = list(result or [])
    return PrometheusResult(
        expr=expr,
        result_type=result_type,
        series=[_series(item) for item in items[:MAX_SERIES]],
        series_total=len(items),
        warnings=warnings,
        **window,
    )


_vigil_hints = {"query_prometheus": {"title": "Query Prometheus"}}
