"""Values as the cache stores them: JSON data, read back through the model's type hints.

The cache file lives in ``.git/phasediff`` and CI restores it from shared
storage, so what it holds is untrusted input: reading a row must never run
code or build an object of a type the code did not ask for.  Values are
therefore kept as plain JSON and decoded by a decoder compiled from the type
the caller expects (``decoder(PhaseDocument)``): a frozen dataclass is a JSON
array of its fields in declaration order, an enum member its value, a tuple,
list or set an array, a typed mapping an array of pairs, and ``Any`` data
(parsed YAML, a change's old and new values) JSON with tagged objects for what
JSON has no form for (tuples, sets, bytes, mappings with keys that are not
strings).  Every value is checked
against its hint; anything else raises ``DecodeError`` and the cache treats
the row as a miss.

Decoders and encoders are built from ``typing.get_type_hints`` on first use,
so a field added to the model needs no edit here (the cache's code
fingerprint drops rows written by other code anyway); ``check`` builds them
all at once, so that a test fails on a hint with no stored form.  ``FORMAT`` names this
encoding in the cache's meta table.
"""

from __future__ import annotations

import base64
import dataclasses
import enum
import functools
import json
import operator
import types
import typing
from collections.abc import Callable
from typing import Any, TypeVar, cast

FORMAT = "json-1"
"""Bump when the encoding of some value changes."""

T = TypeVar("T")

_Convert = Callable[[Any], Any]
_TAG = "\x00"  # a JSON object with this key is a tagged value, not a mapping
_SCALARS = (str, int, float, bool)
_CONTAINERS = (tuple, list, dict, set, frozenset, bytes)


class DecodeError(ValueError):
    """A stored value that does not read back as the type asked for."""


class EncodeError(ValueError):
    """A value the cache has no form for; it is simply not kept."""


# -- entry points ------------------------------------------------------------------


def encoder(hint: Any) -> Callable[[Any], bytes]:
    """The function turning a value of type ``hint`` into stored bytes."""
    return _encoder_bytes(hint)


def decoder(hint: type[T]) -> Callable[[bytes], T]:
    """The function turning stored bytes back into a value of type ``hint``.

    It raises ``DecodeError`` for anything that is not such a value.
    """
    read: Callable[[bytes], T] = _decoder_bytes(cast(Any, hint))
    return read


def encode(value: Any, hint: Any = None) -> bytes:
    """``value`` as stored bytes (its hint defaults to its own class)."""
    return encoder(type(value) if hint is None else hint)(value)


def decode(value: bytes, hint: type[T]) -> T:
    """``value`` read back as a ``hint`` (``DecodeError`` when it is not one)."""
    return decoder(hint)(value)


def check(hint: Any) -> None:
    """Build every converter ``hint`` needs now: ``TypeError`` names a hint with no stored form.

    Otherwise such a hint (a field added to the model) would only make every
    value of it unstorable, silently: the cache would stay cold.
    """
    seen: set[Any] = set()
    todo = [hint]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        _encoder(current)
        _decoder(current)
        if dataclasses.is_dataclass(current) and isinstance(current, type):
            todo.extend(typing.get_type_hints(current).values())
        else:
            todo.extend(arg for arg in typing.get_args(current) if arg is not ...)


@functools.cache
def _encoder_bytes(hint: Any) -> Callable[[Any], bytes]:
    convert = _encoder(hint)
    dumps = json.JSONEncoder(ensure_ascii=True, separators=(",", ":")).encode

    def encode_bytes(value: Any) -> bytes:
        try:
            return dumps(convert(value)).encode("ascii")
        except (TypeError, ValueError, RecursionError, AttributeError) as exc:
            raise EncodeError(str(exc)) from None

    return encode_bytes


@functools.cache
def _decoder_bytes(hint: Any) -> Callable[[bytes], Any]:
    convert = _decoder(hint)
    loads = json.JSONDecoder(object_hook=_untag).decode

    def decode_bytes(value: bytes) -> Any:
        if not isinstance(value, bytes):
            raise DecodeError(f"stored value is {type(value).__name__}, not bytes")
        try:
            return convert(loads(value.decode("ascii")))
        except DecodeError:
            raise
        except (ValueError, TypeError, KeyError, RecursionError) as exc:
            raise DecodeError(str(exc) or type(exc).__name__) from None

    return decode_bytes


# -- plain data (``Any``) ------------------------------------------------------------


def _plain(value: Any) -> Any:
    """``Any`` data as JSON: exact types kept, tagged where JSON cannot say them."""
    kind = type(value)
    if value is None or kind in _SCALARS:
        return value
    if kind is list:
        return [_plain(item) for item in value]
    if kind is dict:
        if _TAG not in value and all(type(key) is str for key in value):
            return {key: _plain(item) for key, item in value.items()}
        return {_TAG: "d", "v": [[_plain(k), _plain(v)] for k, v in value.items()]}
    if kind is tuple:
        return {_TAG: "t", "v": [_plain(item) for item in value]}
    if kind is set or kind is frozenset:
        return {_TAG: "s" if kind is set else "f", "v": [_plain(item) for item in value]}
    if kind is bytes:
        return {_TAG: "b", "v": base64.b64encode(value).decode("ascii")}
    raise TypeError(f"no stored form for {kind.__name__}")


def _untag(obj: dict[str, Any]) -> Any:
    """``json``'s object hook: a tagged object back to its value (inner ones come first)."""
    if _TAG not in obj:
        return obj
    tag, value = obj[_TAG], obj.get("v")
    if len(obj) != 2:
        raise DecodeError("malformed tagged value")
    if tag == "t" and type(value) is list:
        return tuple(value)
    if tag == "d" and type(value) is list:
        if not all(type(pair) is list and len(pair) == 2 for pair in value):
            raise DecodeError("malformed mapping")
        return {key: item for key, item in value}
    if tag == "s" and type(value) is list:
        return set(value)
    if tag == "f" and type(value) is list:
        return frozenset(value)
    if tag == "b" and type(value) is str:
        return base64.b64decode(value.encode("ascii"), validate=True)
    raise DecodeError(f"unknown tag {tag!r}")


# -- compiled converters -----------------------------------------------------------


def _identity(value: Any) -> Any:
    return value


def _is_identity(convert: _Convert) -> bool:
    return convert is _identity


@functools.cache
def _encoder(hint: Any) -> _Convert:
    if hint is Any or hint is object or hint in _CONTAINERS:
        return _plain
    if hint in _SCALARS or hint is type(None) or hint is None:
        return _identity
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return _encode_enum
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return _DataclassEncoder(hint)
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if all(_is_identity(_encoder(arg)) for arg in args):
            return _identity
        return _encode_union(tuple(_encoder(arg) for arg in args), args)
    if origin in (tuple, list):
        # ``json`` writes tuples and lists alike, as arrays; the decoder knows which.
        if origin is list or args[-1:] == (...,):
            item = _encoder(args[0])
            if _is_identity(item):
                return _identity
            return lambda value: [item(element) for element in value]
        items = tuple(_encoder(arg) for arg in args)
        if all(_is_identity(convert) for convert in items):
            return _identity
        return lambda value: [
            convert(element) for convert, element in zip(items, value, strict=True)
        ]
    if origin in (set, frozenset):
        item = _encoder(args[0])
        return lambda value: [item(element) for element in value]
    if origin is dict:
        key, item = _encoder(args[0]), _encoder(args[1])
        return lambda value: [[key(k), item(v)] for k, v in value.items()]
    raise TypeError(f"no stored form for {hint!r}")


def _encode_enum(value: enum.Enum) -> Any:
    return value.value


def _encode_union(converts: tuple[_Convert, ...], args: tuple[Any, ...]) -> _Convert:
    classes = tuple(typing.get_origin(arg) or arg for arg in args)

    def encode(value: Any) -> Any:
        for cls, convert in zip(classes, converts, strict=True):
            if (cls is None or cls is type(None)) and value is None:
                return None
            if isinstance(cls, type) and isinstance(value, cls):
                return convert(value)
        raise TypeError(f"{type(value).__name__} is none of {args}")

    return encode


class _DataclassEncoder:
    """A dataclass as the array of its fields (built lazily: classes can nest themselves)."""

    def __init__(self, cls: type[Any]) -> None:
        self.cls = cls
        self.getter: Callable[[Any], Any] | None = None
        self.converts: tuple[tuple[int, _Convert], ...] = ()

    def __call__(self, value: Any) -> Any:
        if self.getter is None:
            self._build()
        assert self.getter is not None
        if type(value) is not self.cls:
            raise TypeError(f"{type(value).__name__} is not {self.cls.__name__}")
        values = self.getter(value)
        if not self.converts:
            return values
        values = list(values)
        for index, convert in self.converts:
            values[index] = convert(values[index])
        return values

    def _build(self) -> None:
        hints = typing.get_type_hints(self.cls)
        names = [f.name for f in dataclasses.fields(self.cls)]
        converts = [_encoder(hints[name]) for name in names]
        self.converts = tuple(
            (index, convert) for index, convert in enumerate(converts) if not _is_identity(convert)
        )
        getter = operator.attrgetter(*names) if names else (lambda value: ())
        # ``attrgetter`` of one name gives the value itself, not a 1-tuple.
        self.getter = getter if len(names) != 1 else (lambda value: (getter(value),))


@functools.cache
def _decoder(hint: Any) -> _Convert:
    if hint is Any or hint is object:
        return _check_plain
    if hint is type(None) or hint is None:
        return _expect_none
    if hint is bool:
        return _expect(bool)
    if hint is int:
        return _expect(int)
    if hint is float:
        return _expect_float
    if hint is str:
        return _expect(str)
    if hint in _CONTAINERS:  # unparameterized: plain data of that type
        return _expect(hint)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return _decode_enum(hint)
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return _DataclassDecoder(hint)
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return _decode_union(args)
    if origin in (tuple, list):
        build = tuple if origin is tuple else list
        if origin is list or args[-1:] == (...,):
            return _decode_sequence(_decoder(args[0]), build)
        return _decode_fixed(tuple(_decoder(arg) for arg in args))
    if origin in (set, frozenset):
        return _decode_sequence(_decoder(args[0]), origin)
    if origin is dict:
        return _decode_mapping(_decoder(args[0]), _decoder(args[1]))
    raise TypeError(f"no stored form for {hint!r}")


def _expect(cls: type[Any]) -> _Convert:
    def check(value: Any) -> Any:
        if type(value) is not cls:
            raise DecodeError(f"{type(value).__name__} where {cls.__name__} belongs")
        return value

    return check


def _expect_none(value: Any) -> None:
    if value is not None:
        raise DecodeError(f"{type(value).__name__} where None belongs")


def _expect_float(value: Any) -> Any:
    if type(value) is not float:
        raise DecodeError(f"{type(value).__name__} where float belongs")
    return value


def _check_plain(value: Any) -> Any:
    """``Any`` data: JSON and the tags only ever make plain data, so it is taken as it is."""
    return value


def _decode_enum(cls: type[enum.Enum]) -> _Convert:
    members = {member.value: member for member in cls}

    def decode(value: Any) -> Any:
        if type(value) not in _SCALARS:
            raise DecodeError(f"{type(value).__name__} where {cls.__name__} belongs")
        try:
            return members[value]
        except KeyError:
            raise DecodeError(f"{value!r} is no {cls.__name__}") from None

    return decode


def _decode_union(args: tuple[Any, ...]) -> _Convert:
    optional = type(None) in args
    others = tuple(_decoder(arg) for arg in args if arg is not type(None))
    if optional and len(others) == 1:
        only = others[0]
        return lambda value: None if value is None else only(value)

    def decode(value: Any) -> Any:
        if optional and value is None:
            return None
        for convert in others:
            try:
                return convert(value)
            except DecodeError:
                continue
        raise DecodeError(f"{type(value).__name__} is none of {args}")

    return decode


def _decode_sequence(item: _Convert, build: type[Any]) -> _Convert:
    def decode(value: Any) -> Any:
        if type(value) is not list:
            raise DecodeError(f"{type(value).__name__} where a sequence belongs")
        return build(map(item, value))

    return decode


def _decode_mapping(key: _Convert, item: _Convert) -> _Convert:
    def decode(value: Any) -> Any:
        if type(value) is not list:
            raise DecodeError(f"{type(value).__name__} where a mapping belongs")
        found = {}
        for pair in value:
            if type(pair) is not list or len(pair) != 2:
                raise DecodeError("malformed mapping")
            found[key(pair[0])] = item(pair[1])
        return found

    return decode


def _decode_fixed(items: tuple[_Convert, ...]) -> _Convert:
    def decode(value: Any) -> Any:
        if type(value) is not list or len(value) != len(items):
            raise DecodeError(f"not a sequence of {len(items)}")
        return tuple(convert(element) for convert, element in zip(items, value, strict=True))

    return decode


class _DataclassDecoder:
    """An array of fields back to the dataclass, each field checked against its hint.

    The instance is filled like ``pickle`` fills one (no ``__init__``), so a
    frozen dataclass reads back at the cost of a dictionary update.
    """

    def __init__(self, cls: type[Any]) -> None:
        self.cls = cls
        self.names: tuple[str, ...] | None = None
        self.converts: tuple[_Convert, ...] = ()
        self.has_dict = False

    def __call__(self, value: Any) -> Any:
        if self.names is None:
            self._build()
        names = self.names
        assert names is not None
        if type(value) is not list or len(value) != len(names):
            raise DecodeError(f"not a stored {self.cls.__name__}")
        converted = [convert(item) for convert, item in zip(self.converts, value, strict=True)]
        instance = object.__new__(self.cls)
        if self.has_dict:
            instance.__dict__.update(zip(names, converted, strict=True))
        else:
            for name, item in zip(names, converted, strict=True):
                object.__setattr__(instance, name, item)
        return instance

    def _build(self) -> None:
        hints = typing.get_type_hints(self.cls)
        fields = dataclasses.fields(self.cls)
        self.converts = tuple(_decoder(hints[f.name]) for f in fields)
        self.has_dict = "__slots__" not in vars(self.cls)
        self.names = tuple(f.name for f in fields)
