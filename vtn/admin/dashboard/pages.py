"""The dashboard's pages: each asks the admin API (``api.py``) and renders a template.

A page asked with ``?live=1`` answers JSON instead: its ``live_*`` template blocks rendered
alone, keyed by block name (the id of the element they fill); the shared script
(``common/dashboard/static/dashboard.js``) polls that every few seconds and swaps them in,
so tables refresh without a reload.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any, NoReturn

from aiohttp import web

from common.dashboard import STATIC_TYPES, static_text
from common.dashboard.pages import fingerprint, live_blocks, login_token, page_context
from common.xml.lexical import read_duration
from vtn.admin.dashboard import charts
from vtn.admin.dashboard.api import ApiAnswer, ApiClient
from vtn.admin.dashboard.forms import SIGNAL_CHOICES, create_input, form_field, modify_input
from vtn.admin.dashboard.session import CSRF_FIELD, forget, remember, session_token
from vtn.admin.dashboard.state import CSRF_KEY, DASHBOARD, Dashboard

__all__ = ["add_routes"]

Json = dict[str, Any]
ROOT = "/admin/ui"
_ONLINE_MIN = timedelta(minutes=1)
"""A VEN is online if seen within 3 poll periods, and never less than this."""


def _dashboard(request: web.Request) -> Dashboard:
    return request.app[DASHBOARD]


def _to_login() -> NoReturn:
    raise web.HTTPSeeOther(f"{ROOT}/login")


def _api(request: web.Request) -> ApiClient:
    token = session_token(request)
    if token is None:
        _to_login()
    dash = _dashboard(request)
    assert dash.http is not None, "the dashboard's HTTP session opens with the application"
    return ApiClient(dash.http, request, token=token, api_root=dash.api_root)


def _checked(answer: ApiAnswer) -> Json:
    """The body of a successful answer; to the login page on 401, an error page otherwise."""
    if answer.status == 401:
        _to_login()
    if answer.status == 404:
        raise web.HTTPNotFound(text=answer.message or "not found")
    if not answer.ok:
        raise web.HTTPBadGateway(text=f"the admin API answered {answer.status}: "
                                      f"{answer.message}")
    return answer.body


async def _get(request: web.Request, path: str, **params: str) -> Json:
    return _checked(await _api(request).get(path, **params))


def _render(request: web.Request, template: str, status: int = 200, **values: Any
            ) -> web.Response:
    page = _dashboard(request).templates.get_template(template)
    values = page_context(values, root=ROOT, csrf=request[CSRF_KEY], path=request.path)
    if request.query.get("live"):
        return web.json_response(live_blocks(page, values))
    return web.Response(text=page.render(values), status=status, content_type="text/html",
                        charset="utf-8")


def _see_other(location: str) -> web.Response:
    """A 303 to `location` that the session middleware can still add cookies to."""
    return web.Response(status=303, headers={"Location": location})


# ---- login ------------------------------------------------------------------------------------


async def login_page(request: web.Request) -> web.Response:
    """GET /login: the token form."""
    return _render(request, "login.html", error=None)


async def login(request: web.Request) -> web.StreamResponse:
    """POST /login: check the token against the admin API, keep it in the session cookie."""
    token = login_token((await request.post()).get("token", ""))
    dash = _dashboard(request)
    assert dash.http is not None
    answer = await ApiClient(dash.http, request, token=token, api_root=dash.api_root).get(
        "/vens") if token else ApiAnswer(401, {})
    if answer.status == 401:
        return _render(request, "login.html", status=401,
                       error="That token is not the admin token (see admin.token_file).")
    _checked(answer)
    response = _see_other(f"{ROOT}/vens")
    remember(response, request, token)
    return response


async def logout(request: web.Request) -> web.StreamResponse:
    """POST /logout: forget the token."""
    response = _see_other(f"{ROOT}/login")
    forget(response, request)
    return response


async def home(request: web.Request) -> web.StreamResponse:
    """GET /: the VENs page."""
    raise web.HTTPFound(f"{ROOT}/vens")


async def static(request: web.Request) -> web.StreamResponse:
    """GET /static/{name}: the dashboard's own script and style sheet."""
    name = request.match_info["name"]
    text = static_text(name)
    if text is None:
        raise web.HTTPNotFound()
    return web.Response(text=text, content_type=STATIC_TYPES[name], charset="utf-8")


# ---- VENs -------------------------------------------------------------------------------------


def _online(ven: Json, now: datetime) -> bool:
    seen = ven.get("last_seen_at")
    if not seen or ven.get("status") != "registered":
        return False
    period = read_duration(ven["poll_frequency"]) if ven.get("poll_frequency") else _ONLINE_MIN
    return now - datetime.fromisoformat(seen.replace("Z", "+00:00")) <= max(3 * period,
                                                                             _ONLINE_MIN)


async def vens_page(request: web.Request) -> web.Response:
    """GET /vens: every VEN with its state and demonstrated shed capacity."""
    vens = (await _get(request, "/vens", include_cancelled="true"))["vens"]
    api = _api(request)
    capacities = await asyncio.gather(*(api.get(f"/vens/{v['ven_id']}/capacity")
                                        for v in vens))
    now = _dashboard(request).clock.now()
    rows = [{**v, "online": _online(v, now),
             "capacity": c.body if c.ok else {}} for v, c in zip(vens, capacities, strict=True)]
    return _render(request, "vens.html", vens=rows, now=now)


async def ven_page(request: web.Request) -> web.Response:
    """GET /vens/{ven_id}: one VEN and a chart of its readings."""
    ven_id = request.match_info["ven_id"]
    ven = await _get(request, f"/vens/{ven_id}")
    readings = (await _get(request, "/reports/readings", ven_id=ven_id))["readings"]
    return _render(request, "ven.html", ven=ven, readings=readings[-20:][::-1],
                   count=len(readings), version=fingerprint([*readings[-1:], len(readings)]))


async def ven_readings_svg(request: web.Request) -> web.Response:
    """GET /vens/{ven_id}/readings.svg: the readings chart."""
    ven_id = request.match_info["ven_id"]
    ven = await _get(request, f"/vens/{ven_id}")
    readings = await _get(request, "/reports/readings", ven_id=ven_id)
    label = ven.get("ven_name") or ven_id
    svg = await asyncio.to_thread(charts.readings_svg, readings, label)
    return web.Response(body=svg, content_type="image/svg+xml")


# ---- events -----------------------------------------------------------------------------------


async def _events_page(request: web.Request, *, form: dict[str, str], errors: dict[str, str],
                       status: int = 200) -> web.Response:
    events = (await _get(request, "/events", limit="200"))["events"]
    vens = (await _get(request, "/vens"))["vens"]
    return _render(request, "events.html", status=status, events=events[::-1], vens=vens,
                   form=form, errors=errors, signals=SIGNAL_CHOICES)


_CREATE_DEFAULTS = {"signal": "SIMPLE|level", "value": "1", "start": "+5m", "duration": "1h",
                    "intervals": "1", "priority": "0"}


async def events_page(request: web.Request) -> web.Response:
    """GET /events: the events, newest first, and the form that creates one."""
    return await _events_page(request, form=dict(_CREATE_DEFAULTS), errors={})


async def create_event(request: web.Request) -> web.StreamResponse:
    """POST /events: create through ``POST /events``; its error goes next to the field."""
    posted = await request.post()
    form = {k: str(v) for k, v in posted.items() if k not in ("ven_ids", CSRF_FIELD)}
    ven_ids = [str(v) for v in posted.getall("ven_ids", [])]
    answer = await _api(request).call("POST", "/events", body=create_input(form, ven_ids))
    if answer.status in (400, 409):
        form["ven_ids"] = " ".join(ven_ids)
        return await _events_page(request, form=form, status=answer.status,
                                  errors={form_field(answer.field): answer.message})
    event = _checked(answer)
    raise web.HTTPSeeOther(f"{ROOT}/events/{event['event_id']}?done=created")


def _payload(event: Json) -> str:
    unit = event["signals"][0].get("unit") if event.get("signals") else None
    if not unit:
        return "level"
    return "price" if str(unit.get("kind", "")).startswith("currency") else "kw"


async def _event_page(request: web.Request, *, errors: dict[str, str] | None = None,
                      status: int = 200) -> web.Response:
    event_id = request.match_info["event_id"]
    event, responses, performance = await asyncio.gather(
        _get(request, f"/events/{event_id}"), _get(request, f"/events/{event_id}/responses"),
        _get(request, f"/events/{event_id}/performance"))
    rows = performance["performance"]
    return _render(request, "event.html", status=status, event=event,
                   responses=responses["responses"], performance=rows,
                   version=fingerprint(rows), errors=errors or {},
                   done=request.query.get("done"), payload=_payload(event))


async def event_page(request: web.Request) -> web.Response:
    """GET /events/{event_id}: the event, its responses and performance, modify and cancel."""
    return await _event_page(request)


async def modify_event(request: web.Request) -> web.StreamResponse:
    """POST /events/{event_id}/modify: ``PATCH /events/{id}`` with the fields filled in."""
    event_id = request.match_info["event_id"]
    event = await _get(request, f"/events/{event_id}")
    form = {k: str(v) for k, v in (await request.post()).items()}
    answer = await _api(request).call("PATCH", f"/events/{event_id}",
                                      body=modify_input(form, _payload(event)))
    if answer.status in (400, 409):
        return await _event_page(request, status=answer.status, errors={
            f"modify_{form_field(answer.field)}": answer.message})
    _checked(answer)
    raise web.HTTPSeeOther(f"{ROOT}/events/{event_id}?done=modified")


async def cancel_event(request: web.Request) -> web.StreamResponse:
    """POST /events/{event_id}/cancel: ``POST /events/{id}/cancel`` with the reason."""
    event_id = request.match_info["event_id"]
    reason = str((await request.post()).get("reason", "")).strip()
    answer = await _api(request).call("POST", f"/events/{event_id}/cancel",
                                      body={"reason": reason} if reason else {})
    if answer.status in (400, 409):
        return await _event_page(request, status=answer.status,
                                 errors={"cancel_reason": answer.message})
    _checked(answer)
    raise web.HTTPSeeOther(f"{ROOT}/events/{event_id}?done=cancelled")


async def performance_svg(request: web.Request) -> web.Response:
    """GET /events/{event_id}/performance.svg: baseline, target and actual per VEN."""
    event_id = request.match_info["event_id"]
    performance = await _get(request, f"/events/{event_id}/performance")
    svg = await asyncio.to_thread(charts.performance_svg, performance)
    return web.Response(body=svg, content_type="image/svg+xml")


# ---- audit ------------------------------------------------------------------------------------


async def audit_page(request: web.Request) -> web.Response:
    """GET /audit: the newest operator actions first."""
    entries = (await _get(request, "/audit", limit="200"))["entries"]
    return _render(request, "audit.html", entries=entries[::-1])


def add_routes(router: web.UrlDispatcher) -> None:
    """The dashboard's routes (paths below ``/admin/ui``)."""
    router.add_get("", home)
    router.add_get("/", home)
    router.add_get("/login", login_page)
    router.add_post("/login", login)
    router.add_post("/logout", logout)
    router.add_get("/static/{name}", static)
    router.add_get("/vens", vens_page)
    router.add_get("/vens/{ven_id}", ven_page)
    router.add_get("/vens/{ven_id}/readings.svg", ven_readings_svg)
    router.add_get("/events", events_page)
    router.add_post("/events", create_event)
    router.add_get("/events/{event_id}", event_page)
    router.add_post("/events/{event_id}/modify", modify_event)
    router.add_post("/events/{event_id}/cancel", cancel_event)
    router.add_get("/events/{event_id}/performance.svg", performance_svg)
    router.add_get("/audit", audit_page)
