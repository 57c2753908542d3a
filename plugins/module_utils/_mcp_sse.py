# SPDX-License-Identifier: GPL-3.0-or-later
# Note that this module util is PRIVATE to the collection. It can have breaking changes at any time.
"""An incremental parser for ``text/event-stream`` (Server-Sent Events), as MCP servers send it.

Follows the WHATWG event-stream interpretation rules: lines end in CRLF, LF or CR (also split
across reads), ``:`` starts a comment (keep-alives), ``data:`` lines accumulate with ``\\n``
between them, one leading space after the colon is dropped, ``id:`` sets the last event id
(ignored when it holds NUL), ``retry:`` takes digits only, a blank line dispatches the event.
Unlike a browser, events whose data is empty are still returned (MCP priming events carry an
``id:`` and an empty ``data:``), so the caller sees and can count them.

Hostile streams: a line that is not valid UTF-8 raises :class:`SseError` (nothing is replaced
silently), and a long line fed a byte at a time is scanned once, not again on every read.
"""
from __future__ import annotations

from dataclasses import dataclass

_BOM = b"\xef\xbb\xbf"


class SseError(ValueError):
    """The stream is not a valid event stream (for now: a line that is not UTF-8)."""


@dataclass
class SseEvent:
    data: str
    event: str = "message"
    id: str | None = None
    retry: int | None = None

    @property
    def is_priming(self) -> bool:
        """An event with an id and no data: a resumption cursor, not a message."""
        return self.data == "" and self.id is not None


class SseParser:
    """Feed bytes as they arrive; get complete events back."""

    def __init__(self) -> None:
        self._buffer = b""
        self._scanned = 0  # bytes of _buffer already known to hold no line end
        self._skip_lf = False
        self._started = False
        self._data: list[str] = []
        self._has_data = False
        self._event = ""
        self._id_seen = False
        self.last_event_id: str | None = None
        self.retry: int | None = None
        self._event_retry: int | None = None
        self.comments = 0

    def feed(self, chunk: bytes) -> list[SseEvent]:
        if not chunk:
            return []
        self._buffer += chunk
        if not self._started:
            if len(self._buffer) < len(_BOM) and _BOM.startswith(self._buffer):
                return []
            if self._buffer.startswith(_BOM):
                self._buffer = self._buffer[len(_BOM):]
            self._started = True
        events: list[SseEvent] = []
        while True:
            line, self._buffer = self._next_line(self._buffer)
            if line is None:
                break
            event = self._line(line)
            if event is not None:
                events.append(event)
        return events

    def close(self) -> list[SseEvent]:
        """End of stream: a last line without its terminator is still read; a pending event with data is
        returned (servers that close right after the last ``data:`` line without a blank line)."""
        events: list[SseEvent] = []
        if self._buffer:
            line = self._buffer.rstrip(b"\r")
            self._buffer = b""
            self._scanned = 0
            event = self._line(line)
            if event is not None:
                events.append(event)
        if self._has_data:
            event = self._dispatch()
            if event is not None:
                events.append(event)
        return events

    def _next_line(self, buffer: bytes) -> tuple[bytes | None, bytes]:
        if self._skip_lf and buffer:
            # The previous read ended in CR; an LF starting this one completes that CRLF.
            self._skip_lf = False
            if buffer[:1] == b"\n":
                buffer = buffer[1:]
        start = self._scanned
        lf, cr = buffer.find(b"\n", start), buffer.find(b"\r", start)
        if lf == -1 and cr == -1:
            self._scanned = len(buffer)
            return None, buffer
        self._scanned = 0
        if cr == -1 or (lf != -1 and lf < cr):
            return buffer[:lf], buffer[lf + 1:]
        if cr + 1 == len(buffer):
            self._skip_lf = True
            return buffer[:cr], b""
        if buffer[cr + 1:cr + 2] == b"\n":
            return buffer[:cr], buffer[cr + 2:]
        return buffer[:cr], buffer[cr + 1:]

    def _line(self, raw: bytes) -> SseEvent | None:
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SseError(f"an event-stream line is not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset "
                           f"{exc.start} of a {len(raw)}-byte line)") from None
        if line == "":
            return self._dispatch()
        if line.startswith(":"):
            self.comments += 1
            return None
        field, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        if field == "data":
            self._data.append(value)
            self._has_data = True
        elif field == "event":
            self._event = value
        elif field == "id":
            if "\0" not in value:
                self.last_event_id = value
                self._id_seen = True
        elif field == "retry":
            if value.isdigit():
                self.retry = int(value)
                self._event_retry = self.retry
        # Any other field name is ignored, as the standard says.
        return None

    def _dispatch(self) -> SseEvent | None:
        has_data, id_seen = self._has_data, self._id_seen
        event = SseEvent(data="\n".join(self._data), event=self._event or "message",
                         id=self.last_event_id if id_seen else None, retry=self._event_retry)
        self._data, self._has_data, self._event, self._id_seen, self._event_retry = [], False, "", False, None
        if not has_data and not id_seen:
            # A blank line after only event:/retry: lines, or a second blank line: nothing to report.
            return None
        return event


def parse_all(body: bytes) -> list[SseEvent]:
    """Every event of a complete body (tests, small responses)."""
    parser = SseParser()
    return parser.feed(body) + parser.close()
