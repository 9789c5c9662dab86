"""The inspection system's private key behind one interface: a PEM file or a PKCS#11 token.

`load_terminal_key(spec)`: a path to a PEM/DER private key (tests, labs), or an RFC 7512
`pkcs11:` URI naming a private key in a token (an HSM; SoftHSM2 in the tests), e.g.

    pkcs11:token=cardkit-is;object=is-key;type=private?module-path=/usr/lib/softhsm/libsofthsm2.so

The PIN comes from `pin-source=env:NAME` in the URI, else the `CARDKIT_PKCS11_PIN` environment
variable, else an interactive prompt — never from a command-line argument (it would show in
`ps` and shell history). The module path defaults to `$CARDKIT_PKCS11_MODULE`, then SoftHSM2's.

`TerminalKey.sign(data, oid)` returns the signature in the form Terminal Authentication sends
(TR-03110-3: plain r ‖ s for ECDSA; PKCS#1 v1.5 / PSS for RSA), hashing on the host and asking
the token for the raw ECDSA (CKM_ECDSA) or the hash-and-sign RSA mechanism.
"""

from __future__ import annotations

import getpass
import os
from abc import ABC, abstractmethod
from pathlib import Path
from urllib.parse import unquote

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from ..errors import InputError
from ..lds import cvc

PIN_ENV = "CARDKIT_PKCS11_PIN"
MODULE_ENV = "CARDKIT_PKCS11_MODULE"
DEFAULT_MODULES = ("/usr/lib/softhsm/libsofthsm2.so",
                   "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so")


class TerminalKeyError(InputError):
    """The terminal key cannot be loaded or used (file, token, PIN, mechanism)."""


class TerminalKey(ABC):
    """A private key that signs for Terminal Authentication and for issuing CV certificates."""

    label: str = "terminal key"

    @abstractmethod
    def sign(self, data: bytes, oid: str) -> bytes:
        """Sign `data` with the TA algorithm `oid`; returns the TA-format signature."""

    @abstractmethod
    def public_key(self):
        """The `cryptography` public key (EC or RSA)."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.label})"


class SoftwareKey(TerminalKey):
    """A private key held in memory (loaded from a PEM/DER file)."""

    def __init__(self, key, label: str = "key file") -> None:
        if not isinstance(key, (ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey)):
            raise TerminalKeyError("the terminal key must be an EC or RSA private key")
        self._key = key
        self.label = label

    def sign(self, data: bytes, oid: str) -> bytes:
        scheme = cvc.scheme_of(oid)
        if scheme == "ecdsa" and isinstance(self._key, ec.EllipticCurvePrivateKey):
            der = self._key.sign(data, ec.ECDSA(cvc.hash_for(oid)))
            return cvc.plain_ecdsa(der, self._key.curve)
        if scheme.startswith("rsa") and isinstance(self._key, rsa.RSAPrivateKey):
            pad = padding.PKCS1v15() if scheme == "rsa-v1_5" else cvc.pss_padding(oid)
            return self._key.sign(data, pad, cvc.hash_for(oid))
        raise TerminalKeyError(f"the {self.label} cannot sign with {oid}")

    def public_key(self):
        return self._key.public_key()


def load_pem_key(path: str | Path) -> SoftwareKey:
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise TerminalKeyError(f"cannot read the terminal key {p}: {exc.strerror}") from None
    try:
        key = (serialization.load_pem_private_key(raw, password=None) if b"-----BEGIN" in raw
               else serialization.load_der_private_key(raw, password=None))
    except (ValueError, TypeError) as exc:
        raise TerminalKeyError(f"{p} is not an unencrypted PEM/DER private key ({exc})") from None
    return SoftwareKey(key, p.name)


# --- PKCS#11 -----------------------------------------------------------------------------------


def parse_pkcs11_uri(uri: str) -> tuple[dict[str, str], dict[str, str]]:
    """RFC 7512: `pkcs11:` path attributes (;-separated) and query attributes (&-separated)."""
    if not uri.startswith("pkcs11:"):
        raise TerminalKeyError("a PKCS#11 key is given as a pkcs11: URI (RFC 7512)")
    body = uri[len("pkcs11:"):]
    path, _, query = body.partition("?")

    def pairs(text: str, sep: str) -> dict[str, str]:
        out: dict[str, str] = {}
        for item in filter(None, text.split(sep)):
            name, eq, value = item.partition("=")
            if not eq:
                raise TerminalKeyError(f"PKCS#11 URI attribute {name!r} has no value")
            out[unquote(name)] = unquote(value)
        return out

    path_attrs, query_attrs = pairs(path, ";"), pairs(query, "&")
    if "pin-value" in query_attrs:
        raise TerminalKeyError("the PIN may not be written in the URI: set "
                               f"{PIN_ENV} or let cardkit prompt for it")
    return path_attrs, query_attrs


class Pkcs11Key(TerminalKey):
    """A private key inside a PKCS#11 token; every signature is made by the token."""

    def __init__(self, uri: str, *, pin: str | None = None) -> None:
        try:
            import pkcs11  # python-pkcs11
        except ImportError:  # pragma: no cover - a core dependency
            raise TerminalKeyError("python-pkcs11 is not installed") from None
        self._pkcs11 = pkcs11
        path, query = parse_pkcs11_uri(uri)
        self._pin = pin if pin is not None else _pin(query)
        module = query.get("module-path") or os.environ.get(MODULE_ENV) or next(
            (m for m in DEFAULT_MODULES if Path(m).exists()), None)
        if not module:
            raise TerminalKeyError("no PKCS#11 module: add ?module-path=... to the URI or set "
                                   f"{MODULE_ENV}")
        try:
            lib = pkcs11.lib(module)
        except Exception as exc:  # the library raises plain RuntimeError/OSError variants
            raise TerminalKeyError(f"cannot load the PKCS#11 module {module}: {exc}") from None
        try:
            self._token = lib.get_token(token_label=path.get("token"))
        except Exception as exc:
            raise TerminalKeyError(f"PKCS#11 token {path.get('token')!r} not found "
                                   f"({type(exc).__name__})") from None
        self._object = path.get("object")
        self._id = bytes.fromhex(path["id"].replace("%", "")) if "id" in path else None
        self.label = f"PKCS#11 key {self._object or path.get('id', '?')!r} in token " \
                     f"{path.get('token')!r}"
        self._public = None

    def _session(self):
        try:
            return self._token.open(user_pin=self._pin)
        except self._pkcs11.exceptions.PinIncorrect:
            raise TerminalKeyError("the PKCS#11 PIN is wrong") from None
        except self._pkcs11.exceptions.PKCS11Error as exc:
            raise TerminalKeyError(f"cannot log in to the PKCS#11 token ({type(exc).__name__})") \
                from None

    def _find(self, session, object_class):
        attrs = {}
        if self._object:
            attrs[self._pkcs11.Attribute.LABEL] = self._object
        if self._id:
            attrs[self._pkcs11.Attribute.ID] = self._id
        attrs[self._pkcs11.Attribute.CLASS] = object_class
        found = list(session.get_objects(attrs))
        if not found:
            raise TerminalKeyError(f"no such key in the token: {self.label}")
        if len(found) > 1:
            raise TerminalKeyError(f"several keys match {self.label}: add id= to the URI")
        return found[0]

    def sign(self, data: bytes, oid: str) -> bytes:
        p = self._pkcs11
        scheme = cvc.scheme_of(oid)
        with self._session() as session:
            key = self._find(session, p.ObjectClass.PRIVATE_KEY)
            try:
                if scheme == "ecdsa":
                    h = hashes.Hash(cvc.hash_for(oid))
                    h.update(data)
                    return key.sign(h.finalize(), mechanism=p.Mechanism.ECDSA)
                if scheme == "rsa-v1_5":
                    mech = {"SHA1": p.Mechanism.SHA1_RSA_PKCS, "SHA256": p.Mechanism.SHA256_RSA_PKCS,
                            "SHA512": p.Mechanism.SHA512_RSA_PKCS}[cvc.hash_for(oid).name.upper()]
                    return key.sign(data, mechanism=mech)
            except p.exceptions.PKCS11Error as exc:
                raise TerminalKeyError(f"the token refused to sign ({type(exc).__name__})") \
                    from None
        raise TerminalKeyError(f"signing with {oid} through PKCS#11 is not supported")

    def public_key(self):
        if self._public is None:
            from pkcs11.util.ec import encode_ec_public_key
            from pkcs11.util.rsa import encode_rsa_public_key

            p = self._pkcs11
            with self._session() as session:
                key = self._find(session, p.ObjectClass.PUBLIC_KEY)
                der = (encode_ec_public_key(key) if key.key_type == p.KeyType.EC
                       else encode_rsa_public_key(key))
            if key.key_type == p.KeyType.EC:
                self._public = serialization.load_der_public_key(der)
            else:
                self._public = serialization.load_der_public_key(_rsa_spki(der))
        return self._public


def _rsa_spki(pkcs1: bytes) -> bytes:
    from asn1crypto import keys

    return keys.PublicKeyInfo.wrap(keys.RSAPublicKey.load(pkcs1), "rsa").dump()


def _pin(query: dict[str, str]) -> str:
    source = query.get("pin-source", "")
    if source.startswith("env:"):
        value = os.environ.get(source[4:])
        if value is None:
            raise TerminalKeyError(f"pin-source names the environment variable {source[4:]}, "
                                   "which is not set")
        return value
    if source:
        raise TerminalKeyError("pin-source must be env:VARIABLE (files and commands are refused)")
    if PIN_ENV in os.environ:
        return os.environ[PIN_ENV]
    try:
        return getpass.getpass("PKCS#11 PIN: ")
    except (EOFError, KeyboardInterrupt):
        raise TerminalKeyError(f"no PKCS#11 PIN: set {PIN_ENV} or run in a terminal") from None


def load_terminal_key(spec: str) -> TerminalKey:
    """A key file path or a `pkcs11:` URI."""
    if spec.startswith("pkcs11:"):
        return Pkcs11Key(spec)
    return load_pem_key(spec)


__all__ = ["Pkcs11Key", "SoftwareKey", "TerminalKey", "TerminalKeyError", "load_pem_key",
           "load_terminal_key", "parse_pkcs11_uri"]
