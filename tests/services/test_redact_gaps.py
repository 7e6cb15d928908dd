"""Redaction closes the gaps: checksummed cards and IBANs, every IP form, wrapped or broken-up keys, key ids.

detect-secrets (Yelp's scanner) is a second oracle: what it recognises in a raw paste, it must not
recognise after redaction. Its entropy heuristics flag ordinary words, so only its format plugins count.
"""

from __future__ import annotations

import re

import pytest
from detect_secrets.core.scan import scan_line
from detect_secrets.settings import default_settings

from tests.security.secret_formats import FORMATS, Format
from vigil_mcp.services.redact import contains_secret, iban_ok, luhn_ok, redact, strip_invisible


def oracle(text: str) -> set[str]:
    """What detect-secrets' format plugins find in each line of `text`."""
    with default_settings():
        return {s.type for line in text.splitlines() for s in scan_line(line) if "Entropy" not in s.type}


@pytest.mark.parametrize("fmt", FORMATS, ids=[f.name for f in FORMATS])
def test_no_piece_of_any_pasted_secret_survives_redaction(fmt: Format) -> None:
    out = redact(fmt.sentence).text
    assert "[REDACTED:" in out
    assert [p for p in fmt.pieces if p in out] == []
    assert redact(out).text == out


def test_detect_secrets_finds_nothing_in_redacted_text_that_it_found_before() -> None:
    raw = "\n".join(f.sentence for f in FORMATS)
    assert oracle(raw), "the oracle recognises the corpus"
    assert oracle(redact(raw).text) == set()


def test_a_card_number_is_masked_only_when_it_passes_the_luhn_check() -> None:
    assert luhn_ok("4242 4242 4242 4242") and not luhn_ok("4242 4242 4242 4241")
    assert redact("card 4242-4242-4242-4242 declined").text == "card [REDACTED:payment-card] declined"
    assert redact("order 4242-4242-4242-4241 shipped").text == "order 4242-4242-4242-4241 shipped"
    assert redact("unix time 1569852145123").text == "unix time 1569852145123"


def test_an_iban_is_masked_only_with_its_country_length_and_checksum() -> None:
    assert iban_ok("GB82 WEST 1234 5698 7654 32") and not iban_ok("GB82 WEST 1234 5698 7654 33")
    assert redact("send to GB82WEST12345698765433").text == "send to GB82WEST12345698765433"
    assert redact("send to NL91ABNA0417164300 now").text == "send to [REDACTED:iban] now"


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("host 010.001.002.003 down", ""),
        ("ptr 23.1.0.10.in-addr.arpa", ""),
        ("ip-10-0-1-23.ec2.internal", "ip-"),
        ("10-0-1-23.example.net", ".example.net"),
        ("[2001:db8::1]:443", "]:443"),
        ("fe80::1%eth0", "%eth0"),
        ("192.168.1.x", ""),
        ("9.9.12.34 server", " server"),
    ],
)
def test_every_form_of_an_ip_address_is_masked_whole(text: str, kept: str) -> None:
    out = redact(text).text
    assert "[REDACTED:ip]" in out
    assert kept in out
    assert not re.search(r"\d{1,3}[.:-]\d", out.replace("[REDACTED:ip]", "")), "no part of the address is left"


@pytest.mark.parametrize(
    "text", ["kernel 2.6.15.23", "3.2.0.23-generic", "ubuntu 10.04.1", "dns 8.8.8.8", "1.2.3.4.5", "v1.27.3"]
)
def test_versions_and_public_resolvers_are_not_addresses(text: str) -> None:
    assert redact(text).text == text


def test_a_key_broken_by_invisible_characters_or_wrapped_is_masked_whole_and_counts_as_a_secret() -> None:
    key = "ghp_" + "16C7e42F292c6912E7710c838347Ae178B4a"
    for broken in (key[:10] + "\u200b" + key[10:], key[:10] + "\u2066" + key[10:], key[:20] + "\n    " + key[20:]):
        assert contains_secret(broken)
        assert redact(broken).text == "[REDACTED:github-token]"
    assert redact("two lines\nof prose").text == "two lines\nof prose"


def test_invisible_characters_can_be_stripped_from_text() -> None:
    assert strip_invisible("pay\u200bment \u202eevil\u202c ok\ufeff") == "payment evil ok"
