"""Instruction-like content in a ticket: a case that carries it is not learned from, and the ticket is flagged.

Three families, each a sentence an attacker writes for the model that will read the learned skill,
not for the analyst: override phrases ("ignore all previous instructions", a fake system tag or
prompt-wrapper end), shell pipes into an interpreter (`curl ... | sh`), and requests for secrets
("paste your API token here"). A warning ("never paste your secret key here") is not a request.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from vigil_mcp.models import Message
from vigil_mcp.services.redact import INVISIBLE

_OVERRIDE = re.compile(
    r"\b(?:ignore|disregard|forget|override|bypass|skip)\s+(?:all\s+|any\s+|the\s+|your\s+|my\s+|every\s+)?"
    r"(?:previous|prior|above|earlier|preceding|former|system|safety|original)?\s*"
    r"(?:instructions?|prompts?|rules|guidelines|directions|policies|policy|context)\b"
    r"|\bignoriere\b|\bignorez\b|\bignora\s+(?:todas|las)\b|忽略|無視"
    r"|\byou\s+are\s+now\s+(?:a|an|in|my|the|free|unrestricted|jailbroken|dan)\b|\bfrom\s+now\s+on,?\s+you\b"
    r"|\bact\s+as\s+(?:an?\s+)?(?:ai|assistant|system|admin|root)\b|\b(?:pretend|role-?play)\s+(?:to\s+be|you\s+are)\b"
    r"|\b(?:new|updated|real)\s+(?:system\s+)?(?:instructions?|policy|prompt)\s*:"
    r"|\bsystem\s+prompt\b|\bjailbreak\b|\bdeveloper\s+mode\b|(?-i:\bDAN\b)"
    r"|(?:^|\n)\s*(?:assistant|system)\s*:|\n\s*human\s*:"
    r"|</?(?:system|assistant|skill|ticket|dialogue|data[\w-]*|instructions?|tool_result|tool_use|im_start|im_end)"
    r"(?:\s[^<>]*)?>|<\|im_(?:start|end)\|>|\[/?(?:INST|SYS)\]|<!--|\[//\]:\s*#|display\s*:\s*none"
    r"|\"role\"\s*:\s*\"(?:system|assistant)\"|\"type\"\s*:\s*\"tool_use\""
    r"|\b(?:important|attention|note)\s+(?:to|for)\s+(?:the\s+)?(?:ai|assistant|model|llm|agent|bot)\b"
    r"|\b(?:decode|apply\s+rot13)\b[^.\n]{0,40}\b(?:follow|obey|execute|do\s+it)\b|\b(?:follow|obey)\s+it\s+exactly\b"
    r"|\brepeat\s+(?:everything|all|the\s+text)\s+(?:above|before)\b"
    r"|\b(?:print|reveal|dump|export|show)\s+(?:me\s+)?(?:your|the|all)\s+(?:configuration|config|system|environment|env\s+vars|"
    r"api\s+keys|tokens|secrets|prompt|instructions|tickets)\b"
    r"|\bwhen\s+you\s+learn\s+from\s+this\b|\b(?:write|add|create)\s+(?:a|this\s+as\s+a)\s+(?:skill|rule)\s+that\b"
    r"|\bremember\s+(?:this\s+)?for\s+(?:future|next)\b|\bin\s+the\s+knowledge\s+base\s+for\b|\bfor\s+future\s+answers\b"
    r"|\b(?:exfiltrate|exfil)\b",
    re.IGNORECASE,
)
# vigil's own tools and settings: a customer has no reason to name them, an attacker every reason.
_MACHINERY = re.compile(
    r"\b(?:resolve_ticket|observe_message|suggestion_feedback|send_suggestion_feedback|pending_suggestions|"
    r"list_pending_suggestions|get_ticket|list_tickets|stale_tickets|retire_lesson|restore_lesson|get_lesson|"
    r"suggest_threshold|lesson_floor|enable_write_tools|egress_(?:allow|deny)|skills_branch|skill_min_cases|vigil\.toml|"
    r"VIGIL_[A-Z_]+|ANTHROPIC_API_KEY|http_check|dns_lookup|tcp_check|tls_certificate|prometheus_query|status_page|"
    r"check_http|lookup_dns|check_tcp|check_tls_certificate|query_prometheus|check_status_page|list_stale_tickets)\b",
    re.IGNORECASE,
)
_MIXED_SCRIPT = re.compile(r"\b(?=\w*[A-Za-z])(?=\w*[\u0370-\u03ff\u0400-\u04ff])\w+\b")
_TAGS = re.compile("[\U000e0000-\U000e007f\u202a-\u202e\u2066-\u2069]")
_PIPE_TO_SHELL = re.compile(
    r"(?:curl|wget|fetch|iwr|invoke-webrequest)\b[^\n|;]{0,300}\|\s*(?:sudo\s+(?:-\S+\s+)*)?(?:ba|z|k|da|c)?sh\b"
    r"|\b(?:ba|z)?sh\s+(?:-c\s+)?[\"']?\$?\(\s*(?:curl|wget)\b|\b(?:ba)?sh\s+<\(\s*(?:curl|wget)\b"
    r"|\|\s*(?:python[0-9.]*|perl|ruby|node)\s*(?:-\s*)?$|\biex\s*\(|\beval\s*\$?\(\s*(?:curl|wget)",
    re.IGNORECASE | re.MULTILINE,
)
_SECRET_WORDS = (
    r"(?:api[\s_-]*(?:key|token)s?|secret(?:\s+key)?s?|passwords?|passphrases?|private\s+keys?|ssh\s+keys?|"
    r"credentials?|access\s+(?:key|token)s?|tokens?|2fa\s+codes?|one[\s-]time\s+codes?|otp|recovery\s+codes?|"
    r"seed\s+phrases?|\.env\b|id_rsa|\.aws/credentials|\.ssh/)"
)
_ASKS_SECRET = re.compile(
    rf"\b(?:paste|send|share|give|post|tell|dm|email|reveal|dump|upload)\s+(?:me\s+|us\s+)?(?:here\s+)?"
    rf"(?:your|the|all|his|her|their)\s+"
    rf"(?:\w+\s+){{0,2}}{_SECRET_WORDS}"
    r"|\bcat\s+~?/?(?:\.ssh/|\.aws/credentials|/etc/shadow)",
    re.IGNORECASE,
)
_NEGATED = re.compile(
    r"\b(?:never|don'?t|do\s+not|shouldn'?t|should\s+not|must\s+not|no\s+need\s+to)\s+(?:\w+\s+){0,2}$", re.I
)


def instruction_like(text: str) -> str | None:
    """What makes `text` instruction-like (override phrase, pipe to a shell, request for secrets), or None."""
    if _TAGS.search(text):
        return "invisible tag or bidi control characters"
    visible = INVISIBLE.sub(" ", text)
    if _OVERRIDE.search(visible):
        return "an override phrase or prompt markup"
    if _MACHINERY.search(visible):
        return "vigil's own tool or setting names"
    if _MIXED_SCRIPT.search(visible):
        return "look-alike letters from another script"
    if _PIPE_TO_SHELL.search(visible):
        return "a download piped into a shell"
    for match in _ASKS_SECRET.finditer(visible):
        if not _NEGATED.search(visible[max(0, match.start() - 30) : match.start()]):
            return "a request for secrets"
    return None


def hostile_turns(messages: Sequence[Message]) -> list[str]:
    """One flag per message whose text is instruction-like: 'message #3 (customer): a request for secrets'."""
    flags: list[str] = []
    for msg in messages:
        why = instruction_like(msg.text)
        if why is not None:
            flags.append(f"message #{msg.seq} ({msg.role}): {why}")
    return flags
