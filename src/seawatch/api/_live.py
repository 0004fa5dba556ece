"""The live routes: feed health, an event's revisions, and the change stream (SSE).

``GET /api/feeds``: the listener's feed health (``seawatch.feeds/1``; an empty list when no
listener ever ran on the store). ``GET /api/events/{id}/history``: every revision of an
event (created, updated, retracted, with reasons). ``GET /api/changes/stream``: server-sent
events, one ``change`` per revision as the listener logs it (``id`` is the change file's
sequence number, so a reconnecting browser resumes with ``Last-Event-ID``; ``?after=-1``
replays the whole log). Read-only: these routes read files the listener writes atomically.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse

from seawatch.live import change_records, last_seq, read_changes, read_health

POLL_S = 0.5
HEARTBEAT_S = 15.0


class EventStreamResponse(StreamingResponse):
    """A ``text/event-stream`` response (documented as such in the OpenAPI schema)."""

    media_type = "text/event-stream"


def live_router(store_root: Path) -> APIRouter:
    """The live routes over the store at ``store_root``."""
    router = APIRouter(tags=["live"])

    @router.get("/api/feeds", response_model=None)
    def feeds() -> JSONResponse:
        """The listener's feeds: messages/s, rejects, last message (UTC), stale."""
        try:
            doc = read_health(store_root)
        except (OSError, ValueError) as exc:
            detail = f"cannot read the feed health: {exc}"
            raise HTTPException(status_code=500, detail=detail) from exc
        if doc is None:
            doc = {"schema": "seawatch.feeds/1", "updated": None, "listener": None, "feeds": []}
        return JSONResponse(doc)

    @router.get("/api/events/{event_id}/history", response_model=None)
    def history(event_id: str) -> JSONResponse:
        """Every revision of one event, oldest first."""
        if not event_id or len(event_id) > 64:
            raise HTTPException(status_code=404, detail="no such event")
        rows = change_records(read_changes(store_root, event_id=event_id))
        if not rows:
            raise HTTPException(status_code=404, detail=f"no change log for event {event_id!r}")
        return JSONResponse(
            {"schema": "seawatch.event_history/1", "event_id": event_id, "revisions": rows}
        )

    @router.get(
        "/api/changes/stream",
        response_model=None,
        responses={
            200: {
                "description": "Server-sent events: `event: change`, `id`: sequence number, "
                "`data`: one change record (JSON).",
                "content": {"text/event-stream": {"schema": {"type": "string"}}},
            }
        },
    )
    async def stream(
        request: Request,
        after: int | None = Query(
            None,
            ge=-1,
            description="Send the changes after this sequence number "
            "(-1: all; default: only new ones).",
        ),
    ) -> EventStreamResponse:
        """Server-sent events: each new event revision as ``event: change``."""
        header = request.headers.get("last-event-id")
        start = after
        if start is None and header is not None and header.strip().lstrip("-").isdigit():
            start = int(header)
        if start is None:
            start = await asyncio.to_thread(last_seq, store_root)

        async def events() -> AsyncIterator[bytes]:
            seen = start
            quiet = 0.0
            yield b"retry: 2000\n: seawatch change stream\n\n"
            while not await request.is_disconnected():
                table = await asyncio.to_thread(read_changes, store_root, after_seq=seen)
                if table.num_rows:
                    for rec in change_records(table):
                        data = json.dumps(rec, sort_keys=True)
                        yield f"id: {rec['seq']}\nevent: change\ndata: {data}\n\n".encode()
                    seen = max(seen, int(max(table.column("seq").to_pylist())))
                    quiet = 0.0
                else:
                    quiet += POLL_S
                    if quiet >= HEARTBEAT_S:
                        quiet = 0.0
                        yield b": keep-alive\n\n"
                await asyncio.sleep(POLL_S)

        return EventStreamResponse(
            events(),
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    return router
