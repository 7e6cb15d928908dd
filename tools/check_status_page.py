"""check_status_page: a vendor's public status page (Atlassian Statuspage JSON): status, components, incidents."""

from __future__ import annotations

import json
import socket
import ssl
from collections.abc import Callable
from typing import Annotated, Any, cast

import httpx
from pydantic import BaseModel, Field

Egress = Callable[[str, int], list[str]]
SUMMARY_PATH = "/api/v2/summary.json"
MAX_BODY = 4 * 1024 * 1024
MAX_COMPONENTS = 100
MAX_INCIDENTS = 20
UPDATE_CHARS = 600


class Component(BaseModel):
    """One component and its status (operational, degraded_performance, partial_outage, major_outage, ...)."""

    name: str
    status: str
    group: str | None = Field(default=None, description="The group this component belongs to, if any.")


class Incident(BaseModel):
    """An unresolved incident or an active maintenance."""

    name: str
    status: str = Field(description="investigating, identified, monitoring, in_progress, ...")
    impact: str | None
    started_at: str | None
    updated_at: str | None
    url: str | None
    components: list[str] = Field(description="Affected components.")
    latest_update: str | None = Field(
        default=None, description=f"The newest update's text (first {UPDATE_CHARS} chars)."
    )


class StatusPage(BaseModel):
    """A status page summary: what is broken now, from the vendor's point of view."""

    page: str
    url: str
    updated_at: str | None
    indicator: str = Field(description="none, minor, major, critical or maintenance.")
    description: str
    degraded: list[Component] = Field(description="Components that are not operational.")
    components_total: int
    components: list[Component] = Field(description=f"All components (at most {MAX_COMPONENTS}).")
    incidents: list[Incident] = Field(description="Unresolved incidents.")
    maintenances: list[Incident] = Field(description="Maintenances in progress.")


def _resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _summary_url(url: str) -> httpx.URL:
    target = httpx.URL(url if "://" in url else f"https://{url}")
    if target.scheme not in ("http", "https") or not target.host:
        raise ValueError(f"{url!r} is not an http(s) URL or a host name")
    if not target.path.endswith(".json"):
        target = target.copy_with(path=target.path.rstrip("/") + SUMMARY_PATH, query=None)
    return target


def _read(
    url: httpx.URL, headers: dict[str, str], extensions: dict[str, Any], timeout: float
) -> tuple[int, str, str, bytes]:
    """Status, reason, Location header and body (bounded)."""
    with (
        httpx.Client(verify=ssl.create_default_context(), trust_env=False, timeout=timeout) as client,
        client.stream("GET", url, headers=headers, extensions=extensions) as response,
    ):
        body = bytearray()
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > MAX_BODY:
                raise RuntimeError(f"{url} answered more than {MAX_BODY // 2**20} MiB; is it a status page?")
        return response.status_code, response.reason_phrase, response.headers.get("location", ""), bytes(body)


def _fetch(target: httpx.URL, timeout: float, egress: Egress | None) -> Any:
    port = target.port or (443 if target.scheme == "https" else 80)
    addresses = (egress or _resolve)(target.host, port)[:4]
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    headers = {"Host": target.netloc.decode("ascii"), "Accept": "application/json"}
    for index, address in enumerate(addresses):
        try:
            status, reason, location, body = _read(target.copy_with(host=address), headers, extensions, timeout)
            break
        except httpx.TimeoutException:
            raise TimeoutError(f"{target} did not answer within {timeout:g} s.") from None
        except httpx.HTTPError as exc:
            if isinstance(exc, httpx.ConnectError) and index + 1 < len(addresses) and "SSL" not in str(exc):
                continue  # the next address (IPv6 then IPv4, several A records)
            raise ConnectionError(f"could not fetch {target} ({address}): {exc}.") from None
    else:
        raise OSError(f"{target.host} resolves to no address")
    if status in (301, 302, 303, 307, 308):
        raise RuntimeError(f"{target} redirects to {location}; call check_status_page with that page's URL.")
    if status == 404:
        raise RuntimeError(f"{target} does not exist (404); this page may not be an Atlassian Statuspage.")
    if status >= 400:
        raise RuntimeError(f"{target} answered {status} {reason}.")
    try:
        return json.loads(body)
    except ValueError:
        raise RuntimeError(f"{target} did not answer JSON; this page may not be an Atlassian Statuspage.") from None


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _object(value: Any) -> dict[str, Any]:
    return cast(dict[str, Any], value) if isinstance(value, dict) else {}


def _objects(value: Any) -> list[dict[str, Any]]:
    items: list[Any] = cast(list[Any], value) if isinstance(value, list) else []
    return [cast(dict[str, Any], item) for item in items if isinstance(item, dict)]


def _incident(item: dict[str, Any]) -> Incident:
    updates = _objects(item.get("incident_updates"))
    latest = max(updates, key=lambda u: str(u.get("created_at") or ""), default=None)
    return Incident(
        name=str(item.get("name", "")),
        status=str(item.get("status", "")),
        impact=_text(item.get("impact")),
        started_at=_text(item.get("started_at") or item.get("scheduled_for") or item.get("created_at")),
        updated_at=_text(item.get("updated_at")),
        url=_text(item.get("shortlink")),
        components=[str(c.get("name")) for c in _objects(item.get("components"))][:20],
        latest_update=str(latest.get("body") or "")[:UPDATE_CHARS] if latest else None,
    )


def check_status_page(
    url: Annotated[
        str, Field(description="The status page, such as https://www.githubstatus.com, or its summary.json URL.")
    ],
    timeout_seconds: Annotated[float, Field(gt=0, le=30, description="Time limit for the request.")] = 10.0,
    *,
    _egress: Egress | None = None,
) -> StatusPage:
    """Read a vendor's Statuspage (the JSON behind most public status pages): overall indicator, degraded
    components, unresolved incidents with their latest update, and maintenances in progress.

    Use it to see whether a customer's problem matches an outage a vendor (cloud, CDN, SaaS) already reports.
    """
    target = _summary_url(url)
    data = _object(_fetch(target, timeout_seconds, _egress))
    if "status" not in data or "page" not in data:
        raise RuntimeError(f"{target} is JSON but not a Statuspage summary (no page/status); check the URL.")
    page = _object(data.get("page"))
    status = _object(data.get("status"))
    raw = _objects(data.get("components"))
    groups = {str(c.get("id")): str(c.get("name")) for c in raw if c.get("group")}
    components = [
        Component(
            name=str(c.get("name", "")),
            status=str(c.get("status", "")),
            group=groups.get(str(c.get("group_id"))) if c.get("group_id") else None,
        )
        for c in raw
        if not c.get("group")  # a group's status only repeats its members'
    ]
    incidents = [_incident(i) for i in _objects(data.get("incidents"))]
    maintenances = [
        _incident(m)
        for m in _objects(data.get("scheduled_maintenances"))
        if m.get("status") in ("in_progress", "verifying")
    ]
    return StatusPage(
        page=str(page.get("name", "")),
        url=str(page.get("url") or target),
        updated_at=_text(page.get("updated_at")),
        indicator=str(status.get("indicator", "unknown")),
        description=str(status.get("description", "")),
        degraded=[c for c in components if c.status != "operational"][:MAX_COMPONENTS],
        components_total=len(components),
        components=components[:MAX_COMPONENTS],
        incidents=[i for i in incidents if i.status not in ("resolved", "postmortem")][:MAX_INCIDENTS],
        maintenances=maintenances[:MAX_INCIDENTS],
    )


_vigil_hints = {"check_status_page": {"title": "Check a vendor status page"}}
