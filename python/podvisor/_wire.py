"""The podvisor wire format: framing, strict decoding, field checks, hello.

A frame is a 4-byte big-endian length and then exactly one msgpack map
whose string key ``type`` names the message; see podvisor-protocol(7).
Everything here is pure computation: the channels do their own I/O.
"""

from __future__ import annotations

import codecs
import datetime
import struct
from typing import Any, Iterable, Mapping

import msgpack

from .errors import ConnectionFailed, ProtocolError

__all__ = [
    "PROTOCOL_VERSION",
    "FRAME_MAX",
    "STR_MAX",
    "FrameReader",
    "encode",
    "decode",
    "hello",
    "check_hello",
    "protocol_error",
    "need_str",
    "get_uint",
    "get_int",
    "get_bool",
    "get_float",
    "get_str",
    "need",
    "get_bin",
    "get_strv",
    "get_uintv",
    "lossy_text",
    "ns_to_seconds",
    "ns_to_rfc3339",
    "flatten_refs",
]

# The one place the package's protocol version is set: bump it together
# with PROTOCOL_VERSION in src/wire/msg.h.
PROTOCOL_VERSION = 5

FRAME_MAX = 1024 * 1024     # default frame limit, payload bytes
STR_MAX = 4096              # any str field, in bytes
STRV_MAX = 4096             # entries of a str[] field
UINTV_MAX = 65536           # entries of a uint[] field

_HEADER = struct.Struct(">I")


def _lossy(exc: UnicodeError) -> tuple[str, int]:
    """Codec error handler: each bad byte becomes one U+FFFD, as in podctl."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    return "\ufffd" * (exc.end - exc.start), exc.end


codecs.register_error("podvisor.lossy", _lossy)


def lossy_text(data: bytes) -> str:
    """Bytes as text, each byte that is not well-formed UTF-8 as U+FFFD."""
    return data.decode("utf-8", "podvisor.lossy")


def _map_hook(pairs: list[tuple[Any, Any]]) -> dict[str, Any]:
    """Build a decoded map, rejecting non-string and repeated keys."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if not isinstance(key, str):
            raise ValueError(f"map key {key!r} is not a string")
        if key in out:
            raise ValueError(f"key '{key}' given twice")
        out[key] = value
    return out


# One packer for every frame: msgpack.packb() builds a new one per call,
# a third of the cost of a small frame.  Packer.pack() runs in C under the
# GIL, so sharing it between threads is safe.
_PACKER = msgpack.Packer(use_bin_type=True)


def encode(msg: Mapping[str, Any]) -> bytes:
    """One whole frame for a message map (which must hold ``type``).

    Keys whose value is None are left out, as the C senders do.  Raises
    ValueError when the frame would be over the limit.
    """
    body = {k: v for k, v in msg.items() if v is not None}
    payload: bytes = _PACKER.pack(body)
    if len(payload) > FRAME_MAX:
        raise ValueError(f"a '{msg.get('type')}' message of {len(payload)}"
                         f" bytes is over the {FRAME_MAX}-byte frame limit")
    return _HEADER.pack(len(payload)) + payload


def decode(payload: bytes) -> dict[str, Any]:
    """Decode one frame's payload: exactly one map with a string ``type``.

    Strings come back as str (bytes that are not UTF-8 kept losslessly as
    surrogate escapes until a field getter looks at them), bin as bytes.
    Raises ProtocolError with a one-line reason.
    """
    try:
        msg = msgpack.unpackb(payload, raw=False, strict_map_key=True,
                              object_pairs_hook=_map_hook,
                              unicode_errors="surrogateescape")
    except msgpack.ExtraData:
        raise ProtocolError("trailing bytes after the message") from None
    except (ValueError, TypeError, msgpack.UnpackException) as e:
        raise ProtocolError(f"malformed msgpack: {e}") from None
    if not isinstance(msg, dict):
        raise ProtocolError("the message is not a msgpack map")
    kind = msg.get("type")
    if kind is None:
        raise ProtocolError("message has no 'type' field")
    if not isinstance(kind, str):
        raise ProtocolError("message 'type' must be a string")
    return msg


class FrameReader:
    """Split a byte stream into decoded messages.

    The length of each frame is checked as soon as its header is in, so an
    oversized frame is refused before any of its payload is buffered.
    """

    def __init__(self, limit: int = FRAME_MAX) -> None:
        self._buf = bytearray()
        self._limit = limit

    def feed(self, data: bytes) -> None:
        """Add bytes read from the channel."""
        self._buf += data

    def take(self) -> dict[str, Any] | None:
        """The next complete message, or None until more bytes are fed.

        Raises ProtocolError for an oversized frame (as soon as its header
        is in) or a payload that does not decode.
        """
        if len(self._buf) < _HEADER.size:
            return None
        (n,) = _HEADER.unpack_from(self._buf)
        if n > self._limit:
            raise ProtocolError(f"frame of {n} bytes is over the"
                                f" {self._limit}-byte limit")
        if len(self._buf) < _HEADER.size + n:
            return None
        payload = bytes(self._buf[_HEADER.size:_HEADER.size + n])
        del self._buf[:_HEADER.size + n]
        return decode(payload)

    @property
    def pending(self) -> int:
        """Bytes of an incomplete frame held so far."""
        return len(self._buf)


def hello(**fields: Any) -> dict[str, Any]:
    """Our hello, with the protocol version and any extra fields."""
    return {"type": "hello", "version": PROTOCOL_VERSION, **fields}


def check_hello(msg: Mapping[str, Any], peer: str) -> None:
    """Check the peer's first message; raise unless it is a matching hello.

    peer names the other side in the error text, e.g. "podvisord".
    """
    kind = msg["type"]
    if kind == "error":
        text = msg.get("message")
        raise ConnectionFailed(f"{peer} refused the connection: "
                               f"{text if isinstance(text, str) else '?'}",
                               code=msg.get("code") if isinstance(
                                   msg.get("code"), str) else None)
    if kind != "hello":
        raise ProtocolError(f"expected hello from {peer}, got '{kind}'",
                            code="protocol")
    version = get_uint(msg, "version", required=True)
    if version != PROTOCOL_VERSION:
        raise ProtocolError(f"protocol version mismatch: {peer} speaks"
                            f" {version}, this side speaks"
                            f" {PROTOCOL_VERSION}", code="protocol")


def protocol_error(text: str) -> dict[str, Any]:
    """The error message we send before closing a channel that broke the
    protocol."""
    return {"type": "error", "code": "protocol", "message": text[:STR_MAX]}


def need_str(name: str, value: str, limit: int = STR_MAX) -> str:
    """Check a str we are about to send; ValueError if it cannot travel."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, not {type(value).__name__}")
    if "\0" in value:
        raise ValueError(f"{name} must not contain a NUL character")
    if len(value.encode("utf-8", "surrogateescape")) > limit:
        raise ValueError(f"{name} is over {limit} bytes")
    return value


def _bad(msg: Mapping[str, Any], key: str, what: str) -> ProtocolError:
    return ProtocolError(f"'{msg['type']}' message: field '{key}' {what}",
                         code="protocol")


def _present(msg: Mapping[str, Any], key: str, required: bool) -> Any:
    value = msg.get(key)
    if value is None and required:
        raise _bad(msg, key, "is missing")
    return value


def get_uint(msg: Mapping[str, Any], key: str, required: bool = False) -> int:
    """A uint field; 0 when absent."""
    value = _present(msg, key, required)
    if value is None:
        return 0
    if type(value) is not int or value < 0:
        raise _bad(msg, key, "must be a non-negative integer")
    return value


def get_int(msg: Mapping[str, Any], key: str,
            required: bool = False) -> int | None:
    """An int field; None when absent, nil or -1 (the wire's "none")."""
    value = _present(msg, key, required)
    if value is None:
        return None
    if type(value) is not int or not -2**63 <= value < 2**63:
        raise _bad(msg, key, "must be a 64-bit integer")
    return None if value == -1 else value


def get_bool(msg: Mapping[str, Any], key: str) -> bool:
    """A bool field; False when absent."""
    value = msg.get(key)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise _bad(msg, key, "must be a boolean")
    return value


def get_float(msg: Mapping[str, Any], key: str) -> float | None:
    """A float64 field (an integer is accepted too); None when absent."""
    value = msg.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _bad(msg, key, "must be a number")
    return float(value)


def _text(msg: Mapping[str, Any], key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise _bad(msg, key, "must be a string")
    raw = value.encode("utf-8", "surrogateescape")
    if len(raw) > STR_MAX:
        raise _bad(msg, key, f"is over {STR_MAX} bytes")
    if b"\0" in raw:
        raise _bad(msg, key, "holds a NUL byte")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return lossy_text(raw)
    return value


def get_str(msg: Mapping[str, Any], key: str,
            required: bool = False) -> str | None:
    """A str field, bytes that are not UTF-8 shown as U+FFFD; None when
    absent."""
    value = _present(msg, key, required)
    return None if value is None else _text(msg, key, value)


def need(msg: Mapping[str, Any], key: str) -> str:
    """A required str field."""
    value = get_str(msg, key, required=True)
    assert value is not None
    return value


def get_bin(msg: Mapping[str, Any], key: str,
            required: bool = False) -> bytes | None:
    """A bin field (msgpack bin or str) as the exact bytes; None when
    absent."""
    value = _present(msg, key, required)
    if value is None:
        return None
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8", "surrogateescape")
    raise _bad(msg, key, "must be bytes or a string")


def get_strv(msg: Mapping[str, Any], key: str,
             required: bool = False) -> list[str]:
    """A str[] field; [] when absent."""
    value = _present(msg, key, required)
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > STRV_MAX:
        raise _bad(msg, key, f"must be an array of at most {STRV_MAX}"
                   " strings")
    if required and not value:
        raise _bad(msg, key, "must not be empty")
    return [_text(msg, key, v) for v in value]


def get_uintv(msg: Mapping[str, Any], key: str) -> list[int]:
    """A uint[] field; [] when absent."""
    value = msg.get(key)
    if value is None:
        return []
    if (not isinstance(value, list) or len(value) > UINTV_MAX or
            any(type(v) is not int or v < 0 for v in value)):
        raise _bad(msg, key, "must be an array of non-negative integers")
    return value


def ns_to_seconds(ns: int | None) -> float | None:
    """Wire nanoseconds since the epoch as time.time() seconds."""
    return None if ns is None or ns < 0 else ns / 1e9


def ns_to_rfc3339(ns: int | None) -> str | None:
    """Wire nanoseconds as podctl prints them: RFC 3339 UTC, microseconds."""
    if ns is None or ns < 0:
        return None
    sec, rem = divmod(ns, 1_000_000_000)
    when = datetime.datetime.fromtimestamp(sec, datetime.timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%S") + f".{rem // 1000:06d}Z"


def flatten_refs(refs: Iterable[Any]) -> list[str]:
    """Pod refs (ids or names) as the wire's strings."""
    out = []
    for ref in refs:
        if isinstance(ref, bool) or not isinstance(ref, (int, str)):
            raise TypeError(f"a pod is named by an int id or a str name,"
                            f" not {type(ref).__name__}")
        out.append(str(ref))
    return out
