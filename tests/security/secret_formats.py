"""Thirty-odd secret and personal-data formats as a customer pastes them into a ticket, with fake values.

Values are assembled at import time so no scanner mistakes this file for a leak. Each format says
which piece must never appear anywhere vigil writes (knowledge, lessons, skills, git, logs).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass


@dataclass(frozen=True)
class Format:
    """One pasted secret: what it is, the sentence the customer wrote, and the pieces that must not survive."""

    name: str
    sentence: str
    pieces: tuple[str, ...]


def _b64url(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


STRIPE = "sk_" + "live_" + "4eC39HqLyjWDarjtT1zdp7dcQx9"
AWS_ID = "AKIA" + "IOSFODNN7EXAMPLQ"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEYzz"
GITHUB = "ghp_" + "16C7e42F292c6912E7710c838347Ae178B4a"
SLACK = "xoxb-" + "263594206564-2343594206574-FGqddMF8t4jGJy2Cn8L6JVcX"
GCP_KEY = "AIza" + "SyDdI0hCZtE6vySjMm-WEfRq3CPzqKqqsHI"
GCP_KEY_ID = "1a2b3c4d5e6f7a8b9c0d" + "1e2f3a4b5c6d7e8f9a0b"
JWT = _b64url({"alg": "HS256", "typ": "JWT"}) + "." + _b64url({"sub": "42", "iat": 1716239022}) + ".c2lnbmF0dXJlX2hlcmU"
CARD = "4111 1111 " + "1111 1111"
CARD_DASHED = "5555-5555-" + "5555-4444"
AMEX = "3782822" + "46310005"
IBAN = "GB82 WEST " + "1234 5698 7654 32"
IBAN_COMPACT = "DE8937040044" + "0532013000"
PEM_BODY = "MIIEowIBAAKCAQEA" + "7bq9" * 12
PEM = "-----BEGIN RSA PRIVATE KEY-----\n" + PEM_BODY + "\n" + "Qk1" * 20 + "\n-----END RSA PRIVATE KEY-----"
WHSEC = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
NPM = "npm_" + "a" * 4 + "B1c2D3e4F5g6H7i8J9k0L1m2N3o4P5q6"
ANTHROPIC = "sk-ant-" + "api03-" + "Zm9vYmFyYmF6cXV4cXV1eHF1dXg" + "AAAA"

FORMATS: tuple[Format, ...] = (
    Format("stripe secret key", f"My key is {STRIPE} and charges fail", (STRIPE[8:],)),
    Format(
        "stripe key split over lines", f"key:\n{STRIPE[:15]}\n{STRIPE[15:]}\nstill fails", (STRIPE[8:15], STRIPE[15:])
    ),
    Format("stripe key with a zero-width space", f"my key {STRIPE[:14]}\u200b{STRIPE[14:]} fails", (STRIPE[14:],)),
    Format("aws access key id", f"aws_access_key_id = {AWS_ID}", (AWS_ID[4:],)),
    Format("aws key id with a zero-width joiner", f"id {AWS_ID[:9]}\u200d{AWS_ID[9:]}", (AWS_ID[9:],)),
    Format("aws secret access key", f"aws_secret_access_key = {AWS_SECRET}", (AWS_SECRET,)),
    Format("github token", f"I pushed with {GITHUB}", (GITHUB[4:],)),
    Format("slack bot token", f"our bot uses {SLACK}", (SLACK[5:],)),
    Format("gcp api key", f"maps key {GCP_KEY} returns 403", (GCP_KEY[4:],)),
    Format("gcp private_key_id", f'service account: "private_key_id": "{GCP_KEY_ID}",', (GCP_KEY_ID,)),
    Format("jwt", f"Authorization fails for token {JWT}", (JWT.split(".")[1],)),
    Format(
        "bearer header", "curl -H 'Authorization: Bearer abcDEF1234567890ghiJKL' fails", ("abcDEF1234567890ghiJKL",)
    ),
    Format("password in url", "DATABASE_URL=postgres://app:S3cretPassw0rd@db.internal/app", ("S3cretPassw0rd",)),
    Format("password pair", "config has password=Hunter2Hunter2! in it", ("Hunter2Hunter2!",)),
    Format("private key block", f"here is the key\n{PEM}\n", (PEM_BODY[:40], "Qk1Qk1Qk1")),
    Format("stripe webhook secret", f"signing secret {WHSEC} rejected", (WHSEC[6:],)),
    Format("npm token", f"npm publish with {NPM}", (NPM[4:],)),
    Format("anthropic key", f"my {ANTHROPIC} key", (ANTHROPIC[7:],)),
    Format("visa card", f"charged card {CARD} twice", (CARD, CARD.replace(" ", ""), "1111 1111 1111")),
    Format("mastercard dashed", f"card {CARD_DASHED} declined", (CARD_DASHED, "5555-5555-5555")),
    Format("amex", f"amex {AMEX} refund", (AMEX,)),
    Format("iban grouped", f"refund to IBAN {IBAN} please", (IBAN, "1234 5698 7654")),
    Format("iban compact", f"payout account {IBAN_COMPACT}", (IBAN_COMPACT, "0532013000")),
    Format("email", "write to jane.doe@example.org about it", ("jane.doe@example.org", "jane.doe")),
    Format("ipv4", "our server 203.0.113.77 returns 502", ("203.0.113.77", "203.0.113")),
    Format("ipv4 with port", "connect to 10.20.30.40:5432 refused", ("10.20.30.40", "10.20.30")),
    Format("ipv4 in a host name", "ip-10-20-30-41.ec2.internal is down", ("10-20-30-41",)),
    Format("ipv6", "bind on 2001:db8:85a3::8a2e:370:7334 fails", ("2001:db8:85a3", "8a2e:370:7334")),
    Format("ipv4-mapped ipv6", "from ::ffff:198.51.100.23 we see resets", ("198.51.100.23", "198.51.100")),
    Format("private address in part", "on 192.168.44.x the gateway drops", ("192.168.44",)),
)
