from __future__ import annotations

import base64
import stat
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shequ.core.crypto import (
    DecryptionError,
    FieldCipher,
    InvalidKey,
    KeyMissing,
    ensure_key_file,
    generate_key,
    key_from_text,
    key_to_text,
    load_key,
)


@pytest.fixture
def settings() -> SimpleNamespace:
    """Stand-in for pytest-django's ``settings``, which autouse fixtures of the
    project conftest write to: these Django-free tests must also run with
    ``-p no:django`` (and need no Django settings when run with it)."""
    return SimpleNamespace()


KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
CIPHER = FieldCipher(KEY)
ID = "22040219900101123X"


# ------------------------------------------------------------------ encrypt


@given(st.text())
def test_round_trip_any_text(plaintext: str) -> None:
    token = CIPHER.encrypt(plaintext)
    assert token.isascii()
    assert CIPHER.decrypt(token) == plaintext


def test_token_shape_fits_char_field() -> None:
    token = CIPHER.encrypt(ID)
    assert token.startswith("v1:")
    assert len(token) == 67 <= 255
    assert ID not in token


def test_same_plaintext_gives_different_tokens() -> None:
    assert CIPHER.encrypt(ID) != CIPHER.encrypt(ID)


def test_tampered_token_rejected() -> None:
    token = CIPHER.encrypt(ID)
    raw = bytearray(base64.urlsafe_b64decode(token[3:]))
    for index in (0, 12, len(raw) - 1):  # nonce, ciphertext, tag
        tampered = raw.copy()
        tampered[index] ^= 0x01
        bad = "v1:" + base64.urlsafe_b64encode(bytes(tampered)).decode()
        with pytest.raises(DecryptionError, match="篡改"):
            CIPHER.decrypt(bad)


@given(st.data())
def test_any_bit_flip_rejected(data: st.DataObject) -> None:
    raw = bytearray(base64.urlsafe_b64decode(CIPHER.encrypt(ID)[3:]))
    index = data.draw(st.integers(0, len(raw) - 1))
    raw[index] ^= 1 << data.draw(st.integers(0, 7))
    with pytest.raises(DecryptionError):
        CIPHER.decrypt("v1:" + base64.urlsafe_b64encode(bytes(raw)).decode())


def test_wrong_key_rejected() -> None:
    token = CIPHER.encrypt(ID)
    with pytest.raises(DecryptionError, match="密钥不匹配"):
        FieldCipher(OTHER_KEY).decrypt(token)


@pytest.mark.parametrize(
    "token",
    ["", "v2:AAAA", "AAAA", "v1:", "v1:not base64!", "v1:QUJD", "v1:" + "A" * 36 + "="],
)
def test_malformed_token_rejected(token: str) -> None:
    with pytest.raises(DecryptionError):
        CIPHER.decrypt(token)


def test_decrypt_rejects_non_string() -> None:
    with pytest.raises(DecryptionError):
        CIPHER.decrypt(None)  # type: ignore[arg-type]


def test_truncated_token_rejected() -> None:
    token = CIPHER.encrypt(ID)
    with pytest.raises(DecryptionError):
        CIPHER.decrypt(token[:-4])


def test_cipher_needs_32_byte_key() -> None:
    with pytest.raises(InvalidKey):
        FieldCipher(b"short")
    with pytest.raises(InvalidKey):
        FieldCipher("x" * 32)  # type: ignore[arg-type]
    assert "key hidden" in repr(CIPHER)


# -------------------------------------------------------------- blind index


def test_blind_index_deterministic_and_normalised() -> None:
    index = CIPHER.blind_index(ID)
    assert len(index) == 64
    assert int(index, 16) >= 0
    assert index == FieldCipher(KEY).blind_index(ID)
    assert index == CIPHER.blind_index(" 22040219900101123x\n")
    assert index != CIPHER.blind_index("220402199001011230")


def test_blind_index_depends_on_key() -> None:
    assert CIPHER.blind_index(ID) != FieldCipher(OTHER_KEY).blind_index(ID)


def test_subkeys_are_separated() -> None:
    # The blind index must not simply be an HMAC under the master key.
    import hashlib
    import hmac

    assert CIPHER.blind_index(ID) != hmac.new(KEY, ID.encode(), hashlib.sha256).hexdigest()


@given(st.text(), st.text())
def test_blind_index_distinguishes_values(a: str, b: str) -> None:
    same = a.strip().upper() == b.strip().upper()
    assert (CIPHER.blind_index(a) == CIPHER.blind_index(b)) == same


# --------------------------------------------------------------------- keys


def test_generate_key() -> None:
    key = generate_key()
    assert len(key) == 32
    assert key != generate_key()


def test_key_text_round_trip() -> None:
    text = key_to_text(KEY)
    assert len(text) == 44
    assert key_from_text(text) == KEY
    assert key_from_text(f"  {text}\n") == KEY
    assert key_from_text(text.rstrip("=")) == KEY


@pytest.mark.parametrize("text", ["", "abc", "!!!!", key_to_text(KEY)[:-8], "A" * 60])
def test_key_from_text_rejects_bad_text(text: str) -> None:
    with pytest.raises(InvalidKey, match=r"32字节|base64"):
        key_from_text(text)


def test_key_to_text_rejects_wrong_length() -> None:
    with pytest.raises(InvalidKey):
        key_to_text(b"short")


def test_load_key_env_wins(tmp_path: Path) -> None:
    key_file = tmp_path / "field.key"
    key_file.write_text(key_to_text(OTHER_KEY))
    assert load_key(env_value=key_to_text(KEY), key_file=key_file) == KEY
    assert load_key(env_value="", key_file=key_file) == OTHER_KEY
    assert load_key(env_value="  ", key_file=key_file) == OTHER_KEY
    assert load_key(env_value=None, key_file=key_file) == OTHER_KEY


def test_load_key_missing_tells_how_to_fix(tmp_path: Path) -> None:
    with pytest.raises(KeyMissing, match="make demo") as excinfo:
        load_key(env_value=None, key_file=tmp_path / "nope.key")
    assert "var/field.key" in str(excinfo.value)
    assert "SHEQU_FIELD_KEY" in str(excinfo.value)
    with pytest.raises(KeyMissing):
        load_key(env_value=None, key_file=None)


def test_load_key_bad_values_name_their_source(tmp_path: Path) -> None:
    with pytest.raises(InvalidKey, match="环境变量 MY_KEY"):
        load_key(env_value="abc", key_file=None, env_name="MY_KEY")
    bad = tmp_path / "bad.key"
    bad.write_text("abc")
    with pytest.raises(InvalidKey, match=r"bad\.key"):
        load_key(env_value=None, key_file=bad)


def test_ensure_key_file_creates_private_file(tmp_path: Path) -> None:
    path = tmp_path / "var" / "sub" / "field.key"
    key = ensure_key_file(path)
    assert len(key) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_key(env_value=None, key_file=path) == key
    assert ensure_key_file(path) == key  # second call reads, never overwrites
    assert [p.name for p in path.parent.iterdir()] == ["field.key"]  # no temp files left


def test_ensure_key_file_keeps_existing(tmp_path: Path) -> None:
    path = tmp_path / "field.key"
    path.write_text(key_to_text(KEY) + "\n")
    assert ensure_key_file(path) == KEY
