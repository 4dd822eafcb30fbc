"""Field encryption at rest and a keyed hash ("blind index") for exact search.

Sensitive columns (e.g. the identity number) are stored twice:

- ``id_enc``  = ``cipher.encrypt(number)``      — AES-256-GCM, random nonce, so
  equal plaintexts give different tokens and nothing can be searched;
- ``id_hash`` = ``cipher.blind_index(number)``  — HMAC-SHA256, deterministic,
  so ``filter(id_hash=cipher.blind_index(q))`` finds exact matches without
  decrypting the table.

Both subkeys are derived from one 32-byte master key with HKDF-SHA256
(RFC 5869) using different ``info`` strings, so the encryption key is never
used as a MAC key and vice versa. Rotating the master key changes every blind
index: re-index when rotating.

Token format (ASCII, fits ``CharField(255)`` for short values)::

    "v1:" + urlsafe_base64(nonce[12] || ciphertext || tag[16])

An 18-character ID gives a 67-character token; in general the token length is
``3 + 4 * ceil((28 + utf8_len) / 3)``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
from collections.abc import Callable, Sequence
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = [
    "KEY_BYTES",
    "CryptoError",
    "DecryptionError",
    "FieldCipher",
    "InvalidKey",
    "KeyMissing",
    "ensure_key_file",
    "generate_key",
    "key_from_text",
    "key_to_text",
    "load_key",
]

KEY_BYTES = 32
_NONCE_BYTES = 12  # 96-bit nonce: the IV length NIST SP 800-38D recommends for GCM
_TAG_BYTES = 16
_PREFIX = "v1:"
# Binds ciphertexts to this format version: a token cannot be replayed under a
# future "v2" with a different layout.
_AAD = b"shequ field v1"
_INFO_ENC = b"shequ field encryption v1 (AES-256-GCM)"
_INFO_MAC = b"shequ blind index v1 (HMAC-SHA256)"


class CryptoError(Exception):
    """Base class for errors of this module."""


class DecryptionError(CryptoError):
    """A token could not be decrypted (malformed, tampered with, or wrong key)."""


class InvalidKey(CryptoError, ValueError):
    """Key material has the wrong length or encoding."""


class KeyMissing(CryptoError):
    """No master key configured."""


def _derive(master_key: bytes, info: bytes) -> bytes:
    # HKDF objects are single-use, hence one per subkey. No salt: the master
    # key is already uniformly random (RFC 5869 §3.1 allows salt=None).
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=info).derive(
        master_key
    )


class FieldCipher:
    """Encrypts/decrypts field values and computes blind indexes with one master key."""

    __slots__ = ("_aead", "_mac_key")

    def __init__(self, master_key: bytes) -> None:
        if not isinstance(master_key, bytes | bytearray) or len(master_key) != KEY_BYTES:
            raise InvalidKey(f"字段加密主密钥应为{KEY_BYTES}字节")
        self._aead = AESGCM(_derive(bytes(master_key), _INFO_ENC))
        self._mac_key = _derive(bytes(master_key), _INFO_MAC)

    def __repr__(self) -> str:  # never show key material
        return "FieldCipher(<key hidden>)"

    @classmethod
    def from_text(cls, text: str) -> FieldCipher:
        """Build from the base64 text form (see :func:`key_to_text`)."""
        return cls(key_from_text(text))

    def encrypt(self, plaintext: str) -> str:
        """Encrypt ``plaintext`` (UTF-8) with a fresh random nonce; returns an ASCII token.

        Encrypting the same value twice gives different tokens. The empty
        string is encrypted like any other value (decrypts back to ``""``).
        """
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode("utf-8"), _AAD)
        return _PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def encrypt_many(self, plaintexts: Sequence[str]) -> list[str]:
        """``[self.encrypt(p) for p in plaintexts]`` with one call for all the nonces (an
        import encrypts 100,000 values). Call it in the process that uses the tokens:
        nonces drawn before a fork would be shared by the children."""
        nonces = os.urandom(_NONCE_BYTES * len(plaintexts))
        seal, b64 = self._aead.encrypt, base64.urlsafe_b64encode
        tokens = []
        for i, plaintext in enumerate(plaintexts):
            nonce = nonces[i * _NONCE_BYTES : (i + 1) * _NONCE_BYTES]
            sealed = seal(nonce, plaintext.encode("utf-8"), _AAD)
            tokens.append(_PREFIX + b64(nonce + sealed).decode("ascii"))
        return tokens

    def decrypt(self, token: str) -> str:
        """Inverse of :meth:`encrypt`.

        Raises :class:`DecryptionError` if the token is not a ``v1:`` token,
        is not valid base64, is too short, fails authentication (tampered or
        encrypted under another key), or does not decode as UTF-8.
        """
        if not isinstance(token, str) or not token.startswith(_PREFIX):
            raise DecryptionError("密文格式无法识别（应以 v1: 开头）")
        try:
            raw = base64.b64decode(token[len(_PREFIX) :], altchars=b"-_", validate=True)
        except (binascii.Error, ValueError):
            raise DecryptionError("密文格式错误（不是有效的 base64）") from None
        if len(raw) < _NONCE_BYTES + _TAG_BYTES:
            raise DecryptionError("密文格式错误（长度不足）")
        try:
            data = self._aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], _AAD)
        except InvalidTag:
            raise DecryptionError("解密失败：密钥不匹配或密文已被篡改") from None
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:  # pragma: no cover - authenticated data is ours
            raise DecryptionError("解密结果不是有效的 UTF-8 文本") from None

    def blind_index(self, value: str) -> str:
        """Hex HMAC-SHA256 (64 chars) of ``value.strip().upper()``.

        The normalisation makes ``' 2204…123x '`` and ``'2204…123X'`` hit the
        same row; callers should still canonicalise further (e.g. with
        :func:`shequ.core.idcard.normalize_id_number`) before indexing.
        """
        normalized = value.strip().upper()
        return hmac.new(self._mac_key, normalized.encode("utf-8"), hashlib.sha256).hexdigest()

    def blind_indexer(self) -> Callable[[str], str]:
        """A function equal to :meth:`blind_index`, about twice as fast for many values: the
        HMAC key pads are hashed once (RFC 2104), not once per value."""
        key = self._mac_key.ljust(hashlib.sha256().block_size, b"\0")  # shorter than a block
        inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
        outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))

        def blind_index(value: str) -> str:
            h = inner.copy()
            h.update(value.strip().upper().encode("utf-8"))
            o = outer.copy()
            o.update(h.digest())
            return o.hexdigest()

        return blind_index


def generate_key() -> bytes:
    """32 bytes from the OS CSPRNG."""
    return secrets.token_bytes(KEY_BYTES)


def key_to_text(key: bytes) -> str:
    """urlsafe base64 with padding (44 ASCII characters) — for env vars and key files."""
    if len(key) != KEY_BYTES:
        raise InvalidKey(f"字段加密主密钥应为{KEY_BYTES}字节，实际为{len(key)}字节")
    return base64.urlsafe_b64encode(key).decode("ascii")


def key_from_text(text: str) -> bytes:
    """Inverse of :func:`key_to_text`; tolerates surrounding whitespace and missing padding."""
    compact = "".join(text.split())
    compact += "=" * (-len(compact) % 4)
    try:
        key = base64.b64decode(compact, altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise InvalidKey("字段加密主密钥不是有效的 urlsafe base64 文本") from None
    if len(key) != KEY_BYTES:
        raise InvalidKey(
            f"字段加密主密钥应为{KEY_BYTES}字节（base64 文本44个字符），实际解码为{len(key)}字节"
        )
    return key


def load_key(
    *,
    env_value: str | None,
    key_file: Path | None,
    env_name: str = "SHEQU_FIELD_KEY",
) -> bytes:
    """Find the master key: a non-blank ``env_value`` wins, else ``key_file`` is read.

    ``env_name`` is only used in messages. Raises :class:`InvalidKey` (naming
    the source) if the value found is malformed, :class:`KeyMissing` with
    instructions if there is none.
    """
    if env_value is not None and env_value.strip():
        try:
            return key_from_text(env_value)
        except InvalidKey as exc:
            raise InvalidKey(f"环境变量 {env_name}：{exc}") from None
    if key_file is not None and key_file.is_file():
        try:
            return key_from_text(key_file.read_text(encoding="ascii", errors="replace"))
        except InvalidKey as exc:
            raise InvalidKey(f"密钥文件 {key_file}：{exc}") from None
    where = f"密钥文件 {key_file} 不存在" if key_file is not None else "未指定密钥文件"
    raise KeyMissing(
        f"缺少字段加密主密钥：环境变量 {env_name} 未设置，{where}。"
        "开发环境运行 `make demo` 会创建 var/field.key；生产环境请生成密钥"
        '（python -c "from shequ.core.crypto import generate_key, key_to_text; '
        'print(key_to_text(generate_key()))"）并设置到环境变量中，妥善备份——'
        "丢失密钥后已加密的数据无法恢复。"
    )


def ensure_key_file(path: Path) -> bytes:
    """Return the key stored at ``path``, creating it (mode 0600, parents too) if missing.

    The key is written to a private temporary file which is then hard-linked
    into place: ``link`` fails if the target exists, so two processes racing
    at first start agree on one complete key instead of overwriting each
    other's or reading a half-written file.
    """
    path = Path(path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = generate_key()
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                fh.write(key_to_text(key) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass  # lost the race: read the winner's key below
            else:
                return key
        finally:
            tmp.unlink(missing_ok=True)
    return load_key(env_value=None, key_file=path)
