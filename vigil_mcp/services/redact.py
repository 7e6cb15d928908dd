"""Find and mask credentials and personal data in customer-typed text.

Everything a customer writes passes through `redact` before it is stored as knowledge, written
to a skill, sent to an LLM or put into a suggestion. Each rule recognizes one credential in its
real format (a prefix, a length, a label); a match becomes `[REDACTED:<kind>]`. For labelled
values (`password=...`, `scheme://user:pass@host`, `Authorization: Bearer ...`) only the value
is masked, so the text still says what kind of thing was there.

Deliberately *not* redacted: loopback and unspecified addresses (127.0.0.0/8, 0.0.0.0, ::1, ::)
because they identify no one and "bind to 0.0.0.0" is common advice; dotted quads shaped like
versions (2.6.8.1, 2.6.17.8, after "kernel"/"version"/..., inside package names), which also
keeps public resolvers such as 1.1.1.1 and 8.8.8.8; Stripe publishable keys (`pk_live_`), public by
design; placeholders after a label ($VAR, ${var}, <your-token>, CHANGEME); UUIDs, git SHAs and bare
40-character base64 strings unless a label says they are a secret, because support text is full of them.

Extra patterns from configuration are (kind, regex) pairs; the whole match is masked, or only a
group named `v1` when the regex has one. They count as personal data, not as secrets.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from vigil_mcp.errors import InputError

__all__ = ["INVISIBLE", "Finding", "Redacted", "contains_secret", "iban_ok", "luhn_ok", "redact", "strip_invisible"]

MARKER = "[REDACTED:{kind}]"
_MARKER_START = "[REDACTED:"
_MARKER_RE = re.compile(r"\[REDACTED:[a-z0-9-]{1,41}\]")
_MARKER_MAX = 52  # the longest a marker can be


@dataclass(frozen=True, slots=True)
class Finding:
    """One masked span; offsets are in the original text."""

    kind: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Redacted:
    """The masked text and what was masked."""

    text: str
    findings: tuple[Finding, ...]


@dataclass(frozen=True, slots=True)
class _Rule:
    kind: str
    pattern: re.Pattern[str]
    secret: bool  # a credential (counts for contains_secret), not merely personal data
    # One of these must occur in the text (lower-cased text when `fold`) for the rule to match:
    # a substring test is far faster than a regex scan, and most rules find nothing.
    needles: tuple[str, ...] = ()
    fold: bool = False
    check: Callable[[str], bool] | None = None  # a checksum the matched value must pass (cards, IBANs)


def _rule(
    kind: str,
    regex: str,
    *needles: str,
    secret: bool = True,
    flags: int = 0,
    fold: bool = False,
    check: Callable[[str], bool] | None = None,
) -> _Rule:
    fold = fold or bool(flags & re.IGNORECASE)
    folded = tuple(n.lower() for n in needles) if fold else needles
    return _Rule(kind, re.compile(regex, flags), secret, folded, fold, check)


def luhn_ok(value: str) -> bool:
    """Whether the digits of `value` pass the Luhn check that every payment card number carries."""
    digits = [int(c) for c in value if c.isdigit()]
    if not 13 <= len(digits) <= 19:
        return False
    total = 0
    for i, digit in enumerate(reversed(digits)):
        if i % 2:
            digit *= 2
            digit -= 9 if digit > 9 else 0
        total += digit
    return total % 10 == 0


# IBAN lengths by country (ISO 13616 registry); an unknown country or a wrong length is no IBAN.
_IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29,
    "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20, "EG": 29,
    "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28,
    "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20,
    "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19,
    "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29,
    "RO": 24, "RS": 22, "SA": 24, "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}  # fmt: skip


def iban_ok(value: str) -> bool:
    """Whether `value` (spaces allowed) is an IBAN: known country, its length, and the mod-97 checksum."""
    compact = "".join(value.split()).upper()
    if _IBAN_LENGTHS.get(compact[:2]) != len(compact) or not compact.isalnum():
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


# The value after a label: quoted (may hold spaces) or bare (up to a separator). Named groups
# v1..v3 mark the part to mask; `_spans` takes whichever one matched.
# A bare value may hold "&" (passwords do) unless it starts the next query parameter.
_VALUE = (
    r"""(?:"(?P<v1>[^"\n]{1,300})"|'(?P<v2>[^'\n]{1,300})'"""
    r"""|(?P<v3>(?:[^\s"'`,;&<>(){}\[\]]|&(?![\w.-]{1,40}=)){1,300}))"""
)
# A label may follow a prefix and a separator (DB_PASSWORD, spring.datasource.password,
# :_authToken) but not a letter, so "bypass=true" is not a "pass" label.
_LABEL_PREFIX = r"(?<![A-Za-z0-9])"
_ASSIGN = r"""["']?\s{0,3}(?P<op>=|:(?!//))\s{0,3}"""


def _labelled(kind: str, labels: str, *needles: str) -> _Rule:
    return _rule(kind, _LABEL_PREFIX + rf"(?:{labels})\b" + _ASSIGN + _VALUE, *needles, flags=re.IGNORECASE)


_B64 = r"[A-Za-z0-9+/]"
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_DASHED = rf"(?:{_OCTET}-){{3}}{_OCTET}"
_PRIVATE_KEY_HEADER = r"-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----"
_PRIVATE_KEY_FOOTER = r"-----END (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----"

# Order is priority: when spans overlap they are merged and the earliest rule names the kind,
# so `token=ghp_...` reads `[REDACTED:github-token]`, not `[REDACTED:token]`.
_BUILTIN: tuple[_Rule, ...] = (
    # Whole PEM block, also JSON-escaped ("\n") as in a GCP service-account file. A block cut off
    # before its END line is masked through its last base64 chunk.
    _rule(
        "private-key",
        _PRIVATE_KEY_HEADER
        # possessive and stopping at the next armor line, so a run of BEGINs without END stays linear
        + r"(?:(?:(?!-----(?:BEGIN|END) ).){0,20000}+"
        + _PRIVATE_KEY_FOOTER
        + r"|(?:(?:\s|\\[nr])*(?:[A-Za-z0-9-]+: [^\n\\]{1,200}|[A-Za-z0-9+/=]{16,}))*)",
        "PRIVATE KEY",
        flags=re.DOTALL,
    ),
    _rule(
        "aws-access-key-id",
        r"\b(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}\b",
        "AKIA",
        "ASIA",
        "ABIA",
        "ACCA",
        "A3T",
    ),
    _rule(
        "aws-secret-access-key",
        _LABEL_PREFIX
        + r"(?:aws_?secret_?(?:access_?)?key|secret_?access_?key)\b"
        + _ASSIGN
        + rf"""["']?(?P<v1>{_B64}{{40}})(?![A-Za-z0-9+/])""",
        "key",
        flags=re.IGNORECASE,
    ),
    _rule(
        "aws-session-token",
        _LABEL_PREFIX
        + r"(?:aws_?session_?token|session_?token)\b"
        + _ASSIGN
        + rf"""["']?(?P<v1>{_B64}{{100,2000}}=*)""",
        "token",
        flags=re.IGNORECASE,
    ),
    _rule("gcp-api-key", r"\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])", "AIza"),
    _rule("gcp-oauth-client-secret", r"\bGOCSPX-[0-9A-Za-z_-]{28}(?![0-9A-Za-z_-])", "GOCSPX-"),
    _rule("gcp-oauth-token", r"\bya29\.[0-9A-Za-z_-]{30,2000}", "ya29."),
    _rule("azure-storage-key", r"(?i:\bAccountKey)=(?P<v1>[A-Za-z0-9+/]{40,120}={0,2})", "accountkey=", fold=True),
    _rule(
        "azure-shared-access-key",
        r"(?i:\bSharedAccessKey)=(?P<v1>[A-Za-z0-9+/]{20,120}={0,2})",
        "sharedaccesskey=",
        fold=True,
    ),
    _rule("azure-sas-signature", r"[?&]sig=(?P<v1>[A-Za-z0-9%+/=]{20,200})", "sig="),
    _rule(
        "azure-client-secret",
        r"(?<![A-Za-z0-9_~.-])[A-Za-z0-9_~.-]{3}\dQ~[A-Za-z0-9_~.-]{31,34}(?![A-Za-z0-9_~-])",
        "Q~",
    ),
    _rule("stripe-secret-key", r"\bsk_(?:live|test)_[0-9A-Za-z]{10,247}\b", "sk_"),
    _rule("stripe-restricted-key", r"\brk_(?:live|test)_[0-9A-Za-z]{10,247}\b", "rk_"),
    _rule("stripe-webhook-secret", r"\bwhsec_[0-9A-Za-z+/=]{24,128}", "whsec_"),
    _rule(
        "github-token",
        r"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b",
        "ghp_",
        "gho_",
        "ghu_",
        "ghs_",
        "ghr_",
        "github_pat_",
    ),
    _rule("gitlab-token", r"\bgl(?:pat|dt|rt|ptt|cbt|ft|soat|oas)-[0-9A-Za-z_-]{20,80}", "gl"),
    _rule("slack-token", r"\b(?:xox[abposr]|xapp)-[0-9A-Za-z-]{10,250}", "xox", "xapp-"),
    _rule(
        "slack-webhook",
        r"hooks\.slack\.com/(?:services|workflows|triggers)/(?P<v1>[A-Za-z0-9/_-]{16,200})",
        "hooks.slack.com",
    ),
    _rule(
        "discord-webhook", r"discord(?:app)?\.com/api/webhooks/(?P<v1>\d{5,30}/[A-Za-z0-9_-]{20,200})", "/api/webhooks/"
    ),
    _rule("telegram-bot-token", r"(?<![\d:])\d{8,10}:AA[0-9A-Za-z_-]{33}(?![0-9A-Za-z_-])", ":AA"),
    _rule("jwt", r"\beyJ[A-Za-z0-9_-]{5,4000}\.eyJ[A-Za-z0-9_-]{5,8000}\.[A-Za-z0-9_-]{0,2000}", "eyJ"),
    _rule("npm-token", r"\bnpm_[A-Za-z0-9]{36}\b", "npm_"),
    _rule("pypi-token", r"\bpypi-AgE[A-Za-z0-9_-]{50,1000}", "pypi-AgE"),
    _rule("anthropic-api-key", r"\bsk-ant-[A-Za-z0-9_-]{20,250}", "sk-ant-"),
    _rule("openai-api-key", r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,250}", "sk-"),
    _rule("sendgrid-api-key", r"\bSG\.[A-Za-z0-9_-]{16,32}\.[A-Za-z0-9_-]{30,50}", "SG."),
    _rule("twilio-api-key", r"\bSK[0-9a-fA-F]{32}\b", "SK"),
    _rule("huggingface-token", r"\bhf_[A-Za-z0-9]{34,40}\b", "hf_"),
    _rule("shopify-token", r"\bshp(?:at|ss|ca|pa)_[a-fA-F0-9]{32}\b", "shp"),
    _rule("mailgun-api-key", r"\bkey-[0-9a-f]{32}\b", "key-"),
    _rule("mailchimp-api-key", r"\b[0-9a-f]{32}-us\d{1,2}\b", "-us"),
    _rule("vault-token", r"\bhv[sbr]\.[A-Za-z0-9_-]{24,300}", "hvs.", "hvb.", "hvr."),
    _rule("terraform-token", r"\b[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,100}", ".atlasv1."),
    _rule("digitalocean-token", r"\bdo[opr]_v1_[a-f0-9]{64}\b", "_v1_"),
    _rule("docker-token", r"\bdckr_pat_[A-Za-z0-9_-]{27,200}", "dckr_pat_"),
    _rule("databricks-token", r"\bdapi[a-f0-9]{32}(?:-\d)?\b", "dapi"),
    _rule(
        "grafana-token", r"\b(?:glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}|glc_[A-Za-z0-9+/]{32,400}={0,2})", "glsa_", "glc_"
    ),
    _rule("newrelic-api-key", r"\bNRAK-[A-Z0-9]{27}\b", "NRAK-"),
    _rule("postman-api-key", r"\bPMAK-[a-f0-9]{24}-[a-f0-9]{34}\b", "PMAK-"),
    _rule("linear-api-key", r"\blin_api_[A-Za-z0-9]{40}\b", "lin_api_"),
    _rule("atlassian-token", r"\bATATT3[A-Za-z0-9_=-]{100,300}", "ATATT3"),
    _rule("square-token", r"\bsq0(?:atp|csp)-[0-9A-Za-z_-]{22,60}", "sq0"),
    _rule("age-secret-key", r"\bAGE-SECRET-KEY-1[0-9A-Z]{58}\b", "AGE-SECRET-KEY-1"),
    # scheme://user:password@host: keep the user and the host. The password runs to the last
    # "@" before the host, as URL parsers read it.
    _rule(
        "url-password",
        r"\b[a-zA-Z][a-zA-Z0-9+.-]{1,20}://[^\s:/@?#]{0,100}:(?P<v1>[^\s/?#]{1,200})@(?=[^\s@/]*[\w\]])",
        "://",
    ),
    _rule(
        "bearer-token",
        r"(?i:\bbearer)\s+(?P<v1>(?=[A-Za-z._~+/-]{0,400}\d)[A-Za-z0-9._~+/-]{16,4000}=*)",
        "bearer",
        fold=True,
    ),
    # An Authorization header with a scheme, or a bare value long enough and with a digit, so
    # that "authorization: required" stays prose.
    _rule(
        "authorization",
        r"""(?i:\b(?:proxy-)?authorization)["']?\s{0,3}[:=]\s{0,3}["']?(?:"""
        r"""(?i:bearer|basic|token|ssws|digest|apikey|key)\s+(?P<v1>[A-Za-z0-9._~+/=:-]{8,4000})"""
        r"""|(?P<v2>(?=[A-Za-z._~+/=:-]{0,400}\d)[A-Za-z0-9._~+/=:-]{16,4000}))""",
        "authorization",
        fold=True,
    ),
    # curl's -u user:password (other tools' -u user:group is not a secret)
    _rule(
        "password",
        r"""\bcurl\b[^\n|;]{0,300}?\s(?:-u|--user)[\s=]\s{0,3}["']?[^\s:"']{1,100}:(?P<v1>[^\s"']{1,200})""",
        "curl",
    ),
    _rule("docker-auth", r""""auth"\s{0,3}:\s{0,3}"(?P<v1>[A-Za-z0-9+/]{12,1000}={0,2})\"""", '"auth"'),
    _rule(
        "session-cookie",
        r"""\b(?:sessionid|session_id|PHPSESSID|JSESSIONID|connect\.sid)=(?P<v1>[^\s;,&"']{16,500})""",
        "sessionid=",
        "session_id=",
        "PHPSESSID=",
        "JSESSIONID=",
        "connect.sid=",
    ),
    _rule(
        "password",
        r"<(?P<tag>password|passwd|secret|token|apiKey|api_key)>(?P<v1>[^<]{1,300})</(?P=tag)>",
        "</",
        flags=re.I,
    ),
    _rule(
        "password",
        r"""(?i:\b(?:password|passphrase|pwd)\s+(?:is|was)\s{1,3}:?\s{0,3})["'`]?"""
        r"""(?P<v1>(?=[^\s"'`]{0,200}[0-9!#$%^&*@])[^\s"'`]{5,200}[^\s"'`.,;:!?)])""",
        "password",
        "passphrase",
        "pwd",
        fold=True,
    ),
    # a labelled private key is base64 key material, not a file name (--private-key=site.key)
    _rule(
        "private-key",
        _LABEL_PREFIX
        + r"(?:client[_-]?key[_-]?data|private[_-]?key)\b"
        + _ASSIGN
        + r"""["']?(?P<v1>[A-Za-z0-9+/]{40,8000}={0,2})""",
        "key",
        flags=re.IGNORECASE,
    ),
    _labelled("password", r"pass(?:word|wd|phrase)?|pwd", "pass", "pwd"),
    _labelled("secret", r"(?:client[_-]?)?secret(?:[_-]?key)?", "secret"),
    _labelled("token", r"(?:access[_-]?|refresh[_-]?|auth[_-]?|api[_-]?|bot[_-]?|session[_-]?)?token", "token"),
    _labelled("api-key", r"api[_-]?key|apikey|access[_-]?key", "key"),
    # Cloud key ids: a service account's private_key_id (GCP), an access key id under its label
    # (Alibaba's LTAI..., a generic key_id = ...). The key id names the key: it is masked with it.
    _rule(
        "cloud-key-id",
        _LABEL_PREFIX
        + r"(?:private[_-]?key[_-]?id|access[_-]?key[_-]?id|secret[_-]?key[_-]?id|key[_-]?id)\b"
        + _ASSIGN
        + r"""["']?(?P<v1>(?=[A-Za-z0-9_-]{0,80}\d)[A-Za-z0-9_-]{16,80})""",
        "key",
        flags=re.IGNORECASE,
    ),
    _rule("cloud-key-id", r"\bLTAI[A-Za-z0-9]{12,24}\b", "LTAI"),
    # A payment card number: 13-19 digits in groups of digits, spaces or dashes, with an issuer's
    # prefix, passing the Luhn check (order numbers and timestamps rarely do both).
    _rule(
        "payment-card",
        r"(?<![\w.-])(?:4|5[1-5]|2[2-7]|3[47]|3[0689]|6(?:011|5|4[4-9]|22)|35|62|8[18])"
        r"(?:[ -]?\d){11,17}(?![\w-]|\.\d)",
        check=luhn_ok,
    ),
    # An IBAN, in one run or in groups of four, with its country's length and the mod-97 checksum.
    _rule(
        "iban",
        r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?(?![A-Za-z0-9])",
        secret=False,
        check=iban_ok,
    ),
    # Not right after ":" or "/" (URL userinfo such as scheme://user:pass@host), except mailto:.
    _rule(
        "email",
        r"(?:(?<=mailto:)|(?<![:/\w.%+-]))(?!git@)(?![\w.+-]{0,64}@openssh\.com\b)[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@"
        r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.){1,8}[A-Za-z]{2,24}\b(?![.@-]\w)",
        "@",
        secret=False,
    ),
    # Four dotted octets (leading zeros allowed), but not: part of a longer dotted run or a package
    # name (1.2.3.4.5, v1.2.3.4, linux-image-2.6.8.1-3), after a version word, shaped like a kernel
    # version (2-6.d.d.d with small parts: 2.6.8.1, 2.6.17.8, 3.2.0.23), a well-known public resolver
    # (1.1.1.1, 8.8.8.8, 9.9.9.9, ...), loopback, 0.0.0.0 or a netmask (255.x). A reverse-DNS name
    # (23.1.0.10.in-addr.arpa) is masked too.
    _rule(
        "ip",
        r"(?<![\w.])(?<!(?i:version) )(?<!(?i:kernel) )(?<!(?i:release) )(?<!(?i:firmware) )"
        r"(?<!(?i:rev) )(?<!(?i:build) )(?![2-6]\.\d{1,2}\.\d{1,2}\.\d{1,2}(?!\d))"
        r"(?!(?:1\.1\.1\.1|1\.0\.0\.1|8\.8\.8\.8|8\.8\.4\.4|9\.9\.9\.9|149\.112\.112\.112|"
        r"208\.67\.222\.222|208\.67\.220\.220)(?![\d.]))"
        r"(?!127\.|255\.|0\.0\.0\.0(?![\d.]))"
        r"(?:0{0,2}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}0{0,2}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
        r"(?:\.in-addr\.arpa\b)?(?!\w|\.\w|-\d)",
        ".",
        secret=False,
    ),
    # The same address dashed inside a host name (ip-10-0-1-23.ec2.internal, 10-0-1-23.example.net).
    _rule(
        "ip",
        rf"(?<=\bip-){_DASHED}(?![\w-])|(?<![\w.-]){_DASHED}(?=\.[A-Za-z])",
        "-",
        secret=False,
    ),
    # A private address given in part (192.168.1, 192.168.1.x, 172.16.4.*): no part of one stays.
    _rule(
        "ip",
        r"(?<![\w.])(?:192\.168|172\.(?:1[6-9]|2\d|3[01]))(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){0,2}"
        r"(?:\.(?:x{1,3}|\*))?(?![\w.]*\d)",
        "192.168.",
        "172.",
        secret=False,
    ),
    _rule(
        "ip",
        r"(?<![\w:.])(?!::1?(?![\w:.]))(?:"  # not loopback ::1 or unspecified ::
        r"(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}"  # full form
        # compressed forms need a digit somewhere so C++ "std::", "add::bad" or "::fff" stay prose
        r"|(?=[0-9A-Fa-f:]{0,40}\d)(?:[0-9A-Fa-f]{1,4}:){1,6}(?::[0-9A-Fa-f]{1,4}){1,6}"
        r"|(?=[0-9A-Fa-f:]{0,40}\d)(?:[0-9A-Fa-f]{1,4}:){2,7}:(?![0-9A-Fa-f])"
        r"|(?=::[0-9A-Fa-f:.]{0,40}\d)::(?:[0-9A-Fa-f]{1,4}:){0,5}(?:(?:\d{1,3}\.){3}\d{1,3}|[0-9A-Fa-f]{1,4})"
        r")(?![\w:]|\.\d)",
        "::",
        ":",
        secret=False,
    ),
)

_CREDENTIAL_RULES = tuple(rule for rule in _BUILTIN if rule.secret)
# Characters that render as nothing (zero-width, joiners, bidi controls, BOM, soft hyphen, variation
# selectors): inside a secret they break every pattern while the reader still sees the whole key.
INVISIBLE = re.compile("[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u202a-\u202e"
                       "\u2060-\u2064\u2066-\u206f\ufe00-\ufe0f\ufeff]")  # fmt: skip
# A line break (with the indentation around it, or written as a literal \n) between two characters a
# key can hold: where a pasted key wraps.
_WRAP = re.compile(r"(?<=[A-Za-z0-9_+/=-])[ \t]*(?:\\n|\r?\n)[ \t]*(?=[A-Za-z0-9_+/=-])")
_KIND = re.compile(r"^[a-z0-9][a-z0-9-]{0,40}$")
# Values after a label that are placeholders, not secrets: $VAR, ${var}, $(cmd), {{ var }}, <your-token>,
# ***, paths, CHANGEME. Upper-case only for $VAR: "$ecret1" is a password.
_PLACEHOLDER = re.compile(
    r"^(?:\$(?:[{(].*|(?-i:[A-Z_][A-Z0-9_]*))?|%\(?\w*\)?s?|\{+[\w. -]*\}+.?|<[^>]*>|\*+|x+|\.\.\.|/[\w./-]*"
    r"|null|none|nil|true|false|undefined|redacted|changeme|change[_-]me|placeholder|example|your[_-][\w-]*)$",
    re.IGNORECASE,
)


def _looks_secret(value: str) -> bool:
    # After a bare "label:" prose is common ("Token: expired"); a secret has a digit, a symbol,
    # or is long.
    return len(value) >= 12 or any(not ch.isalpha() for ch in value)


def _markers(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _MARKER_RE.finditer(text)] if _MARKER_START in text else []


def _spans(rule: _Rule, text: str, lowered: str, markers: list[tuple[int, int]]) -> list[tuple[int, int]]:
    found: list[tuple[int, int]] = []
    if rule.needles:
        haystack = lowered if rule.fold else text
        if not any(needle in haystack for needle in rule.needles):
            return found
    for match in rule.pattern.finditer(text):
        start, end = match.span()
        groups = match.groupdict()
        name = next((n for n in ("v1", "v2", "v3") if groups.get(n) is not None), None)
        if name is not None:
            start, end = match.span(name)
            if name == "v3":  # a bare value: sentence punctuation after it is not part of it
                while end - start > 1 and text[end - 1] in ".,!?:)":
                    end -= 1
            value = text[start:end]
            # Re-redacting "password=[REDACTED:password]" must change nothing.
            if value.startswith(_MARKER_START) or _PLACEHOLDER.match(value):
                continue
            if name == "v3" and groups.get("op") == ":" and not _looks_secret(value):
                continue
        if rule.check is not None and not rule.check(text[start:end]):
            continue
        if markers:
            # A match that cuts into a marker takes all of it; one that is just a marker is
            # already masked. Without this, redacting twice would mask parts of markers.
            index = bisect_left(markers, (start - _MARKER_MAX, 0))
            while index < len(markers) and markers[index][0] < end:
                marker_start, marker_end = markers[index]
                if marker_end > start:
                    start, end = min(start, marker_start), max(end, marker_end)
                index += 1
            if (start, end) in markers:
                continue
        if end > start:
            found.append((start, end))
    return found


@lru_cache(maxsize=32)
def _compile_extra(extra: tuple[tuple[str, str], ...]) -> tuple[_Rule, ...]:
    rules: list[_Rule] = []
    for kind, regex in extra:
        if not _KIND.match(kind):
            raise InputError(f"redaction pattern kind {kind!r} must be lower-case letters, digits and '-'")
        try:
            rules.append(_rule(kind, regex, secret=False))
        except re.error as exc:
            raise InputError(f"redaction pattern {kind!r} is not a valid regular expression: {exc}") from None
    return tuple(rules)


_Span = tuple[int, int, int, str]  # start, end, rule priority, kind


def _find(rules: Sequence[_Rule], text: str) -> list[_Span]:
    markers, lowered = _markers(text), text.lower()
    return [
        (start, end, priority, rule.kind)
        for priority, rule in enumerate(rules)
        for start, end in _spans(rule, text, lowered, markers)
    ]


def _merge(spans: list[_Span]) -> list[_Span]:
    # Overlapping spans are merged so no part of a secret survives; the highest-priority rule
    # among those merged names the kind.
    merged: list[_Span] = []
    for start, end, priority, kind in sorted(spans):
        if merged and start < merged[-1][1]:
            last_start, last_end, last_priority, last_kind = merged[-1]
            if priority < last_priority:
                last_priority, last_kind = priority, kind
            merged[-1] = (last_start, max(last_end, end), last_priority, last_kind)
        else:
            merged.append((start, end, priority, kind))
    return merged


def _render(text: str, spans: list[_Span]) -> tuple[str, list[tuple[int, int, int]]]:
    """The masked text, and per marker its (output start, output end, index into spans)."""
    parts: list[str] = []
    markers: list[tuple[int, int, int]] = []
    cursor = length = 0
    for index, (start, end, _, kind) in enumerate(spans):
        parts.append(text[cursor:start])
        length += start - cursor
        marker = MARKER.format(kind=kind)
        parts.append(marker)
        markers.append((length, length + len(marker), index))
        length += len(marker)
        cursor = end
    parts.append(text[cursor:])
    return "".join(parts), markers


def _to_original(position: int, spans: list[_Span], markers: list[tuple[int, int, int]], *, end: bool) -> int:
    shift = 0  # original minus output offset for text after the markers passed so far
    for out_start, out_end, index in markers:
        if position < out_start or (end and position == out_start):
            break
        if position < out_end or (end and position == out_end):
            return spans[index][1] if end else spans[index][0]
        shift = spans[index][1] - out_end
    return position + shift


def strip_invisible(text: str) -> str:
    """The text without characters that render as nothing (zero-width, bidi controls, BOM, soft hyphens)."""
    return INVISIBLE.sub("", text)


def _joined_spans(text: str) -> list[_Span]:
    """Credentials that only appear once invisible characters and line wraps are taken out, in `text`'s offsets."""
    gaps = [m.span() for m in INVISIBLE.finditer(text)]
    if "\n" in text or "\\n" in text:
        gaps += [m.span() for m in _WRAP.finditer(text)]
    if not gaps:
        return []
    keep: list[int] = []  # keep[i]: the offset in `text` of character i of the joined text
    cursor = 0
    for start, end in sorted(gaps):
        if start < cursor:
            start = cursor
        keep.extend(range(cursor, start))
        cursor = max(cursor, end)
    keep.extend(range(cursor, len(text)))
    joined = "".join(text[i] for i in keep)
    found: list[_Span] = []
    for start, end, priority, kind in _find(_CREDENTIAL_RULES, joined):
        first, last = keep[start], keep[end - 1] + 1
        if last - first != end - start:  # it spans a gap: the plain pass cannot have found all of it
            found.append((first, last, priority, kind))
    return found


def redact(text: str, extra_patterns: Sequence[tuple[str, str]] = ()) -> Redacted:
    """Replace credentials, e-mail and IP addresses (and `extra_patterns` (kind, regex)) with `[REDACTED:kind]`.

    A credential broken by invisible characters or wrapped over lines is masked whole.
    """
    rules = _BUILTIN + _compile_extra(tuple((str(kind), str(regex)) for kind, regex in extra_patterns))
    spans = _merge(_find(rules, text) + _joined_spans(text))
    if not spans:
        return Redacted(text, ())
    output, markers = _render(text, spans)
    # A marker can complete a pattern that the secret it replaced did not (a value that now holds a
    # digit, a label now followed by a value). Fold such matches back into the original spans until
    # nothing new is found, so that redact(redact(x)) == redact(x). Spans only grow: this ends fast.
    for _ in range(8):
        again = _find(rules, output)
        if not again:
            break
        mapped = [
            (_to_original(s, spans, markers, end=False), _to_original(e, spans, markers, end=True), p, k)
            for s, e, p, k in again
        ]
        grown = _merge(spans + mapped)
        if grown == spans:
            break
        spans = grown
        output, markers = _render(text, spans)
    return Redacted(output, tuple(Finding(kind, start, end) for start, end, _, kind in spans))


def contains_secret(text: str) -> bool:
    """Whether `text` holds a credential (e-mail and IP addresses do not count), wrapped or broken up included."""
    markers, lowered = _markers(text), text.lower()
    return any(_spans(rule, text, lowered, markers) for rule in _CREDENTIAL_RULES) or bool(_joined_spans(text))
