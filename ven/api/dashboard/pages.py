"""The building dashboard's pages: each asks the building API (``client.py``) and renders a
template.

A page asked with ``?live=1`` answers JSON instead: its ``live_*`` template blocks rendered
alone, keyed by block name (the id of the element they fill); the shared polling script
(``common/dashboard/static/dashboard.js``) swaps them in every few seconds.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import timedelta
from typing import Any, NoReturn
from urllib.parse import urlencode

from aiohttp import web

from common.dashboard import STATIC_TYPES, static_text
from common.dashboard.charts import instant
from common.dashboard.pages import fingerprint, live_blocks, login_token, page_context
from ven.api.dashboard import charts
from ven.api.dashboard.client import ApiAnswer, BuildingApi
from ven.api.dashboard.session import forget, remember, session_token
from ven.api.dashboard.state import CSRF_KEY, DASHBOARD, Dashboard

__all__ = ["add_routes"]

Json = dict[str, Any]
ROOT = "/ui"
_RECENT = timedelta(minutes=15)
"""The devices page shows each device's latest sample of this window."""
_FLEX_HOURS = "12"
_AFTER = timedelta(minutes=10)
"""The plan page shows this much of the plan after the event's end."""


def _dashboard(request: web.Request) -> Dashboard:
    return request.app[DASHBOARD]


def _to_login() -> NoReturn:
    raise web.HTTPSeeOther(f"{ROOT}/login")


def _api(request: web.Request, token: str | None = None) -> BuildingApi:
    token = token if token is not None else session_token(request)
    if token is None:
        _to_login()
    dash = _dashboard(request)
    assert dash.http is not None, "the dashboard's HTTP session opens with the application"
    return BuildingApi(dash.http, request, token=token, api_root=dash.api_root)


def _checked(answer: ApiAnswer) -> Any:
    """The body of a successful answer; to the login page on 401, an error page otherwise."""
    if answer.status == 401:
        _to_login()
    if not answer.ok:
        raise web.HTTPBadGateway(text=f"the building API answered {answer.status}: "
                                      f"{answer.message}")
    return answer.body


async def _get(request: web.Request, path: str, **params: str) -> Any:
    return _checked(await _api(request).get(path, **params))


async def _optional_get(request: web.Request, path: str, **params: str) -> Any:
    """Like ``_get``, but ``None`` on 404 (a VEN without a building has no plan)."""
    answer = await _api(request).get(path, **params)
    return None if answer.status == 404 else _checked(answer)


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
    """POST /login: check the token against the API, keep it in the session cookie."""
    token = login_token((await request.post()).get("token", ""))
    answer = await _api(request, token).get("/invitations") if token else ApiAnswer(401, None)
    if answer.status == 401:
        return _render(request, "login.html", status=401,
                       error="That token is not the building API's token (see api.token_file).")
    _checked(answer)
    response = _see_other(f"{ROOT}/invitations")
    remember(response, request, token)
    return response


async def logout(request: web.Request) -> web.StreamResponse:
    """POST /logout: forget the token."""
    response = _see_other(f"{ROOT}/login")
    forget(response, request)
    return response


async def home(request: web.Request) -> web.StreamResponse:
    """GET /: the invitations page."""
    raise web.HTTPFound(f"{ROOT}/invitations")


async def static(request: web.Request) -> web.StreamResponse:
    """GET /static/{name}: the shared script and style sheet."""
    name = request.match_info["name"]
    text = static_text(name)
    if text is None:
        raise web.HTTPNotFound()
    return web.Response(text=text, content_type=STATIC_TYPES[name], charset="utf-8")


# ---- invitations ------------------------------------------------------------------------------


async def _invitations_page(request: web.Request, *, errors: dict[str, str] | None = None,
                            status: int = 200) -> web.Response:
    every, pending, auto, devices = await asyncio.gather(
        _get(request, "/invitations", all="true"), _get(request, "/invitations"),
        _get(request, "/settings/auto-answer"), _get(request, "/devices"))
    waiting = {s["event_id"] for s in pending}
    return _render(request, "invitations.html", status=status,
                   pending=[s for s in every if s["event_id"] in waiting],
                   answered=[s for s in every if s["event_id"] not in waiting][::-1],
                   auto=auto, devices=devices.get("building") or [], errors=errors or {},
                   done=request.query.get("done"))


async def invitations_page(request: web.Request) -> web.Response:
    """GET /invitations: the events waiting for an answer (with its buttons), then the others."""
    return await _invitations_page(request)


async def answer(request: web.Request) -> web.StreamResponse:
    """POST /invitations/{event_id}/answer: ``POST /invitations/{id}/answer`` with the button's
    ``opt`` and, for one device, the chosen ``device_id``."""
    event_id = request.match_info["event_id"]
    form = await request.post()
    body: Json = {"opt": str(form.get("opt", ""))}
    device = str(form.get("device_id", "")).strip()
    if device:
        body["device_id"] = device
    answer = await _api(request).call("POST", f"/invitations/{event_id}/answer", body=body)
    if answer.status in (400, 404, 409):
        return await _invitations_page(request, status=answer.status,
                                       errors={event_id: answer.message})
    _checked(answer)
    who = f"device {device}" if device else "the building"
    done = urlencode({"done": f"{event_id}: {who} opted {body['opt']}"})
    raise web.HTTPSeeOther(f"{ROOT}/invitations?{done}")


# ---- plan, devices, flexibility, benefits ----------------------------------------------------


def _near(answer: Json | None) -> Json | None:
    """``GET /plan``'s answer with the intervals from `_AFTER` past the event's end left out
    (the plan holds the devices released until ``until``: flat, and many)."""
    body = (answer or {}).get("plan")
    if answer is None or not body:
        return answer
    last = instant(body["end"]) + _AFTER
    return {**answer, "plan": {**body, "intervals": [
        i for i in body["intervals"] if instant(i["start"]) < last]}}


async def plan_page(request: web.Request) -> web.Response:
    """GET /plan: the current or next event's plan, as a chart and a table."""
    plan = _near(await _optional_get(request, "/plan"))
    body = (plan or {}).get("plan")
    return _render(request, "plan.html", plan=body, has_building=plan is not None,
                   version=fingerprint(body))


async def plan_svg(request: web.Request) -> web.Response:
    """GET /plan.svg: baseline, target, planned and measured load."""
    plan = _near(await _optional_get(request, "/plan")) or {}
    return web.Response(body=await asyncio.to_thread(charts.plan_svg, plan),
                        content_type="image/svg+xml")


async def devices_page(request: web.Request) -> web.Response:
    """GET /devices: the building's devices with their latest telemetry, and their answers to
    the open invitations."""
    devices, pending = await asyncio.gather(_get(request, "/devices"),
                                            _get(request, "/invitations", all="true"))
    samples = await _get(request, "/telemetry", **{"from": await _recent_start(request)})
    latest: dict[str, dict[str, Json]] = defaultdict(dict)
    for s in samples:
        latest[s["device_id"]][s["quantity"]] = s  # time order: the last one stays
    names = list(devices.get("building") or [])
    names += [d for d in devices.get("with_telemetry", []) if d not in names]
    opts = {d: [(s["event_id"], o) for s in pending for k, o in s["device_opts"].items()
                if k == d] for d in names}
    rows = [{"device_id": d, "samples": sorted(latest.get(d, {}).values(),
                                               key=lambda s: s["quantity"]),
             "opts": opts[d], "in_building": d in (devices.get("building") or [])}
            for d in names]
    return _render(request, "devices.html", devices=rows)


async def _recent_start(request: web.Request) -> str:
    """The start of the devices page's window, on the VEN's clock (the flexibility forecast's
    ``generated_at``; ``""`` for all samples when the VEN has no building)."""
    flex = await _optional_get(request, "/flexibility", hours="1")
    if flex is None:
        return ""
    return (instant(flex["generated_at"]) - _RECENT).isoformat()


async def flexibility_page(request: web.Request) -> web.Response:
    """GET /flexibility: sheddable power for the next hours, as a chart and a table."""
    flex = await _optional_get(request, "/flexibility", hours=_FLEX_HOURS)
    return _render(request, "flexibility.html", flex=flex, version=fingerprint(
        None if flex is None else flex["hours"]))


async def flexibility_svg(request: web.Request) -> web.Response:
    """GET /flexibility.svg: sheddable power per hour and device."""
    flex = await _optional_get(request, "/flexibility", hours=_FLEX_HOURS) or {}
    return web.Response(body=await asyncio.to_thread(charts.flexibility_svg, flex),
                        content_type="image/svg+xml")


async def benefits_page(request: web.Request) -> web.Response:
    """GET /benefits: delivered energy and benefit per month, and per device."""
    data = await _get(request, "/benefits")
    months: dict[str, Json] = {}
    for row in data["rows"]:
        month = months.setdefault(row["month"], {"month": row["month"], "events": 0,
                                                 "delivered_kwh": 0.0, "benefit": 0.0})
        month["events"] = max(month["events"], row["events"])
        month["delivered_kwh"] += row["delivered_kwh"]
        month["benefit"] += row["benefit"]
    return _render(request, "benefits.html", data=data, months=sorted(months.values(),
                   key=lambda m: m["month"], reverse=True))


def add_routes(router: web.UrlDispatcher) -> None:
    """The dashboard's routes (paths below ``/ui``)."""
    router.add_get("", home)
    router.add_get("/", home)
    router.add_get("/login", login_page)
    router.add_post("/login", login)
    router.add_post("/logout", logout)
    router.add_get("/static/{name}", static)
    router.add_get("/invitations", invitations_page)
    router.add_post("/invitations/{event_id}/answer", answer)
    router.add_get("/plan", plan_page)
    router.add_get("/plan.svg", plan_svg)
    router.add_get("/devices", devices_page)
    router.add_get("/flexibility", flexibility_page)
    router.add_get("/flexibility.svg", flexibility_svg)
    router.add_get("/benefits", benefits_page)
