"""The page worker's wire format and task table, shared by both ends of the pipe.

A frame is a 4-byte big-endian length and a pickle. A call is ``(id, task, args)``, where
``task`` names a module-level function as ``"module:qualname"`` (callers hand over the function
itself; :func:`task_name` writes its name for the wire); a reply is ``(id, ok, value)``, where a
failed call's value is ``"ExceptionType: message"``. Pickle is safe here: the only peer is
our own child process, started by us, on an anonymous pipe.
"""

from __future__ import annotations

import importlib
import pickle
import struct
from collections.abc import Callable, Iterator
from functools import cache
from typing import IO, Any

HEADER = struct.Struct(">I")


def encode(message: Any) -> bytes:
    payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return HEADER.pack(len(payload)) + payload


def decode_all(buffer: bytearray) -> list[Any]:
    """The complete messages at the start of ``buffer``, removed from it."""
    messages = []
    start = 0
    while len(buffer) - start >= HEADER.size:
        (size,) = HEADER.unpack_from(buffer, start)
        end = start + HEADER.size + size
        if end > len(buffer):
            break
        messages.append(pickle.loads(memoryview(buffer)[start + HEADER.size : end]))
        start = end
    if start:
        del buffer[:start]
    return messages


def read_messages(stream: IO[bytes]) -> Iterator[Any]:
    """Messages from a blocking stream, until it ends."""
    while True:
        header = stream.read(HEADER.size)
        if len(header) < HEADER.size:
            return
        (size,) = HEADER.unpack(header)
        payload = stream.read(size)
        if len(payload) < size:
            return
        yield pickle.loads(payload)


def task_name(task: Callable[..., Any]) -> str:
    """``task``'s name on the wire: ``"module:qualname"`` (the worker imports ``module``)."""
    return f"{task.__module__}:{task.__qualname__}"


@cache
def resolve(task: str) -> Callable[..., Any]:
    """The function named ``"module:qualname"``."""
    module, _, name = task.partition(":")
    function: Any = importlib.import_module(module)
    for part in name.split("."):
        function = getattr(function, part, None)
    if not callable(function):
        raise LookupError(f"no task {task!r}")
    return function


def run_task(task: Callable[..., Any] | str, args: tuple[Any, ...]) -> Any:
    """``task(*args)``; the worker process gets ``task`` by name."""
    function = resolve(task) if isinstance(task, str) else task
    return function(*args)


def describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"
