"""Which key goes where: the server's key only to its own base URL, however the URL is spelled."""

from __future__ import annotations

import pytest

from iterplay.errors import InputError
from iterplay.provider import (
    OPENAI_BASE_URL,
    api_key_for,
    check_base_url,
    configured_endpoint,
    safe_url,
    same_endpoint,
)

SERVER_KEY = "sk-server-key-0123456789"
TYPED_KEY = "sk-typed-key-0123456789"
SERVER = {"OPENAI_BASE_URL": "http://127.0.0.1:8000/v1", "OPENAI_API_KEY": SERVER_KEY}


@pytest.mark.parametrize(
    "spelling",
    [
        "http://127.0.0.1:8000/v1",
        "http://127.0.0.1:8000/v1/",
        "HTTP://127.0.0.1:8000/v1",
        "  http://127.0.0.1:8000/v1  ",
    ],
)
def test_the_server_key_goes_to_its_own_base_url_however_spelled(spelling):
    assert api_key_for(spelling, "", SERVER) == SERVER_KEY


@pytest.mark.parametrize(
    "other",
    [
        "http://evil.example/v1",
        "http://127.0.0.1:8001/v1",
        "https://127.0.0.1:8000/v1",
        "http://127.0.0.1:8000/v2",
        "http://127.0.0.1:8000/v1/../../attacker",
        "http://attacker@127.0.0.1:8000/v1",
        "http://127.0.0.1.evil.example:8000/v1",
        "not a url",
        "",
    ],
)
def test_the_server_key_never_goes_to_another_base_url(other):
    assert api_key_for(other, "", SERVER) == ""


def test_a_typed_key_goes_where_its_owner_points_it():
    assert api_key_for("http://evil.example/v1", TYPED_KEY, SERVER) == TYPED_KEY
    assert api_key_for(SERVER["OPENAI_BASE_URL"], TYPED_KEY, SERVER) == TYPED_KEY


def test_a_key_configured_without_a_base_url_belongs_to_openai():
    settings = {"OPENAI_API_KEY": SERVER_KEY}
    assert api_key_for("https://API.openai.com:443/v1/", "", settings) == SERVER_KEY
    assert api_key_for("http://localhost:11434/v1", "", settings) == ""


def test_host_case_and_default_ports_do_not_make_a_different_endpoint():
    assert same_endpoint("https://Example.COM/v1", "https://example.com:443/v1/")
    assert same_endpoint("http://[::1]:80/v1", "http://[::1]/v1")
    assert not same_endpoint("https://example.com/v1", "http://example.com/v1")


def test_the_cli_sends_the_environment_key_only_to_the_environment_base_url():
    elsewhere = configured_endpoint("http://other.example/v1", None, "m", environ=SERVER)
    at_home = configured_endpoint(None, None, "m", environ=SERVER)
    typed = configured_endpoint("http://other.example/v1", TYPED_KEY, "m", environ=SERVER)
    assert (elsewhere.api_key, at_home.api_key, typed.api_key) == ("", SERVER_KEY, TYPED_KEY)
    assert at_home.base_url == SERVER["OPENAI_BASE_URL"]


def test_with_nothing_configured_the_embedded_model_is_meant():
    assert configured_endpoint(environ={}) is None
    assert configured_endpoint(api_key=TYPED_KEY, environ={}).base_url == OPENAI_BASE_URL


@pytest.mark.parametrize(
    "url",
    ["ftp://example.com/v1", "http://", "file:///etc/passwd", "http://host:port/v1",
     "http://exa mple.com/v1", "http://example.com/\x00", "http://\ud800.com/v1", "x" * 5000],
)  # fmt: skip
def test_a_base_url_that_is_not_http_is_one_sentence(url):
    with pytest.raises(InputError, match=r"^The base URL must be an http:// or https:// URL"):
        check_base_url(url)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://someone:secret@127.0.0.1:8000/v1", "http://127.0.0.1:8000/v1"),
        ("https://api.example.com/v1", "https://api.example.com/v1"),
        # Masked by ``redact`` first, the password reads as a bracketed host Python refuses.
        ("http://someone:[key hidden]@127.0.0.1:8000/v1", "http://127.0.0.1:8000/v1"),
    ],
)
def test_a_url_is_shown_without_its_credentials_however_it_parses(url, shown):
    assert safe_url(url) == shown
