"""Small immutable value classes without ``dataclasses`` (issue 14).

``@dataclass(frozen=True)`` costs a command's start-up twice: importing ``dataclasses``
(it brings ``inspect``, ``ast``, ``dis``, ``tokenize``: ~10 ms) and making each class (the
decorator writes and compiles its methods: ~1 ms a class). A ``Frozen`` subclass is a plain
class with ``__slots__`` that behaves as the frozen dataclass it replaces:

- its fields are its ``__slots__``, in order, and its ``__init__`` takes them in that order
  (positionally or by name, with the same defaults) and sets each with ``setfield``;
- equal to an object of the same class whose compared fields are equal (every field but
  those named by the class keyword ``uncompared``), and hashed by the same fields;
- ``Name(field=value, …)`` as its repr, every field shown;
- no field can be assigned or deleted (``FrozenError``, an ``AttributeError`` like
  ``dataclasses.FrozenInstanceError``); ``copy`` and ``pickle`` make it anew by its
  ``__init__``.

tests/test_startup_imports.py holds each such class to a frozen dataclass of the same fields.
"""

from __future__ import annotations

from operator import attrgetter
from typing import Any, ClassVar

setfield = object.__setattr__  # how an ``__init__`` sets a field: ``setfield(self, "name", name)``


class FrozenError(AttributeError):
    """A field of a frozen value was assigned or deleted."""


class Frozen:
    """The base of a frozen value class (see the module's text)."""

    __slots__ = ()
    _fields: ClassVar[tuple[str, ...]] = ()
    _key: ClassVar[Any]  # the compared fields of an instance, as a tuple

    def __init_subclass__(cls, uncompared: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        fields = cls.__dict__.get("__slots__", ())
        if isinstance(fields, str) or not fields:
            raise TypeError(f"{cls.__name__}: name the fields in a tuple as __slots__")
        unknown = set(uncompared) - set(fields)
        if unknown:
            raise TypeError(f"{cls.__name__}: uncompared names no field: {sorted(unknown)}")
        compared = tuple(f for f in fields if f not in uncompared)
        cls._fields = tuple(fields)
        getter = attrgetter(*compared)
        cls._key = staticmethod(getter if len(compared) > 1 else lambda o: (getter(o),))

    def __eq__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            return bool(self._key(self) == self._key(other))
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._key(self))

    def __repr__(self) -> str:
        shown = ", ".join(f"{f}={getattr(self, f)!r}" for f in self._fields)
        return f"{type(self).__qualname__}({shown})"

    def __setattr__(self, name: str, value: object) -> None:
        raise FrozenError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenError(f"cannot delete field {name!r}")

    def __reduce__(self) -> tuple[Any, tuple[object, ...]]:
        return type(self), tuple(getattr(self, f) for f in self._fields)
