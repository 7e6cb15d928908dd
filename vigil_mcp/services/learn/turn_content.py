"""What one turn carries: content (a step, a command, a setting, a link or an explanation) or talk around it.

Never content: greetings, "looking at it", "one moment", "any update?", "you're welcome", and questions back
to the customer ("what version are you on?", also without its "?": "is the recorder picking up your mic"),
guesses and preferences without a step ("it might help to rebuild it", "I prefer alsamixer"), warnings
("keep in mind …"), asides in parentheses, the answer to a later "why?" ("because it ends up in /media"), the
helper's own story ("I only have one drive here, my laptop …"), a pointer to another turn's content ("paste
that in"), a search referral in words ("google it"), a helper's promise ("I'll pm you the address") and a
permission ("feel free to do so"). A question that proposes a step ("did you try `sudo update-grub`?", "what
about xubuntu?") does carry one, and is an answer, not a question back. Besides content: whether a turn
deflects, hedges, checks something rather than changes it, or (a customer's) asks something specific.
Written reading eval/labels/lessons/{fit,fit2,heldout,heldout2,heldout3}
(bench/lesson_labels.py); heldout4 ... heldout7 for the last rules (hedges such as "should be enough" or
"I don't think", the Stripe CLI rather than the product's name); heldout8 (and the dev parts) for round 9's
proposals; heldout9 for round 10's pointers, referrals in words, promises and permissions.

Pure functions over one turn's text; no I/O. Choosing a dialogue's fix among its turns is `fix`'s.
"""

from __future__ import annotations

import functools
import re

from vigil_mcp.models import Message
from vigil_mcp.services.text import specific_terms

CONTENT_CACHE = 2048  # turns whose carries_content answer is remembered (with the customer words asked with)
# "nick: ...", "nick, ..." and "nick- ..." (a dash right after the handle, as some IRC clients complete it).
_ADDRESS = re.compile(r"^\s*@?([\w\[\]\\`^{}|.-]{2,32}?)(?:\s*[:,]|-)\s+(?=\S)")
_COMMAND = re.compile(
    r"`[^`]{2,}`|^\s*[$#]\s+\S|\b[A-Za-z_]\w*\.[A-Za-z_]\w*\(|\b(?:sudo|apt(?:-get|-cache|itude)?|dpkg|snap|systemctl|service|journalctl|grep|cat|"
    r"ls|cd|cp|mv|rm|chmod|chown|mount|umount|fdisk|parted|mkfs|modprobe|lsmod|lspci|lsusb|dmesg|ifconfig|ip\s+a|"
    r"iwconfig|nmcli|ping|curl|wget|tar|unzip|gunzip|make\s+(?:install|clean|-j\d*)|gcc|pip|npm|yarn|gem|bundle|kubectl|docker|helm|git|"
    r"update-grub|grub-install|xrandr|nano|vim?|gedit|kate|export|ssh|scp|rsync|crontab|ufw|iptables|"
    # The Stripe CLI, not the product's name ("you can't get that from Stripe" names no step).
    r"stripe\s+(?:listen|trigger|login|logout|logs|fixtures|samples|config|open|status|get|post|delete|"
    r"[a-z_]+\s+(?:create|list|retrieve|update|delete)))\b",
    re.IGNORECASE | re.MULTILINE,
)
_SETTING = re.compile(
    r"(?:^|\s)(?:/etc/|/usr/|/var/|/boot/|/dev/|~/|\./)\S+|\b[A-Za-z_][\w.]*\s*=\s*\S|\s--?[a-z][\w-]+|"
    r"\b[a-z]+(?:[A-Z][a-z0-9]*|_[a-z0-9]+)+:\s*\S"  # a YAML or JSON key and its value ("storageClassName: standard")
)
_LINK = re.compile(r"\bhttps?://\S+|\bwww\.\S+", re.IGNORECASE)
_IMPERATIVE = re.compile(
    r"^\s*(?:(?:you\s+(?:need|have|want|should|must|can|could|may)\s+(?:to\s+)?)|(?:just|then|so|first|now|also|"
    r"and|or|please|maybe|perhaps|actually,?|instead,?|alternatively,?|otherwise,?|else,?|i'?d)\s+)*(?:run|try|install|uninstall|reinstall|remove|purge|use|edit|add|set|unset|"
    r"change|open|go|click|type|press|select|choose|enable|disable|restart|reboot|boot|start|stop|update|upgrade|"
    r"downgrade|check|pass|call|create|make|delete|do|put|copy|move|rename|load|unload|mount|format|configure|"
    r"switch|turn|look|read|see|follow|download|grab|get|append|replace|uncomment|comment|disable|plug|unplug|"
    r"send|listen|catch|handle|confirm|retrieve|attach|detach|pay|refund|capture|charge|store|save|log)\b",
    re.IGNORECASE,
)
_EXPLAINS = re.compile(
    r"\b(?:because|since|means|is\s+caused|is\s+because|happens\s+when|the\s+reason|you\s+need|you\s+have\s+to|"
    r"you\s+should|you\s+must|you\s+can|you\s+could|should\s+be|needs?\s+to|has\s+to|will\s+need|instead|"
    r"it'?s\s+(?:a|an|the)|that'?s\s+(?:a|an|the)|there'?s\s+a|is\s+(?:a|an|the)|are\s+(?:a|an|the)|"
    r"doesn'?t\s+support|is\s+not\s+supported|only\s+works|by\s+default)\b",
    re.IGNORECASE,
)
_SMALL_TALK = re.compile(
    r"^\W*(?:hi|hello|hey|heya|hiya|yo|welcome|good\s+(?:morning|afternoon|evening|day)|greetings|morning|"
    r"(?:i'?m\s+|we'?re\s+|i\s+am\s+)?(?:looking|checking|digging)\s+(?:at|into|in\s+to)\s+(?:it|this|that)(?:\s+now)?|"
    r"let\s+me\s+\w+|(?:in\s+)?(?:one|a)\s+(?:moment|sec|second|minute|min|bit)|just\s+a\s+(?:moment|sec|"
    r"second|minute)|give\s+me\s+a\s+(?:moment|sec|second|minute)|hold\s+on|wait|hang\s+on|brb|on\s+it|checking|"
    r"ok(?:ay)?|k|sure|yes|yeah|yep|no|nope|np|yw|you'?re\s+welcome|no\s+problem|glad\s+(?:to\s+help|it\s+helped|it\s+"
    r"worked)|nice|cool|great|good|lol|heh|hm+|ah+|oh|thanks?|thank\s+you|cheers|any\s+(?:update|luck|news|progress)|"
    r"(?:are\s+you\s+)?still\s+there|did\s+(?:it|that)\s+work|how\s+did\s+it\s+go|well|so|and|"
    r"(?:very\s+|quite\s+)?(?:possible|impossible)|it\s+(?:does|should|is|will|can)|of\s+course|"
    r"feel\s+free|be\s+my\s+guest|by\s+all\s+means)\b[\W\w]{0,40}$",  # a permission ("feel free to do so") is no step
    re.IGNORECASE,
)
_UNSURE = re.compile(
    r"^\W*(?:dunno|no\s+idea|not\s+sure|idk|i\s+(?:don'?t|do\s+not)\s+know|sorry|sry|i\s+have\s+no\s+idea|"
    r"no\s+clue|beats\s+me|i\s+(?:can'?t|cannot)\s+help|never\s+(?:used|tried))\b",
    re.IGNORECASE,
)
# A question that proposes a step ("did you try sudo dpkg-reconfigure mysql-server?", "what about xubuntu?",
# "try gparted?"): with something concrete in it, it is a step, not a question back. It may follow the handle
# of whom it speaks to without a colon ("file_ did you try ...", as IRC users write).
_PROPOSES = re.compile(
    r"^\s*(?:(?!(?:why|what|when|where|how|who|which)\b)@?[\w\[\]\\`^{}|.-]{2,32}\s+)??"  # "file_ did you try"
    r"(?:(?:did|have|had)\s+(?:you|u)\s+(?:already\s+|ever\s+)?(?:try|tried|run|ran|use|used|install|installed|"
    r"reinstall|reinstalled|check|checked|look(?:ed)?\s+(?:at|in|into)|enable|enabled|disable|disabled|set|edit|edited|"
    r"add|added|remove|removed|update|updated|upgrade|upgraded|restart|restarted|reboot|rebooted)|"
    r"(?:what|how)\s+about|why\s+not|why\s+don'?t\s+(?:you|u)|(?:could|can|would)\s+(?:you|u)\s+(?:just\s+)?try|"
    r"(?:just\s+|maybe\s+|perhaps\s+)?try)\b",
    re.IGNORECASE,
)
_INVERTED = re.compile(
    r"^\s*(?:is|are|was|were|do|does|did|have|has|can|could|would|will|should)\s+"
    r"(?:(?:you|your|u|ur|it|there|this|that|the|he|she|they|we|i)\b|\S+(?:\s+\S+)?\s+\w+ing\b)"
    r"|^\s*(?:what|where|which|who|why|how)(?:'?s|\s+(?:is|are|was|were|do|does|did|can|would))\b",
    re.IGNORECASE,
)  # "is gnome recorder recording your mike": a question back without its "?"
_HEDGE = re.compile(
    r"\b(?:might\s+(?:help|work|be|fix)|maybe|perhaps|i\s+think|i\s+guess|i\s+believe|i\s+suppose|probably|"
    r"not\s+sure|worth\s+a\s+(?:try|shot)|i\s+prefer|could\s+be|possibly|no\s+guarantees?|"
    r"(?:one|i)\s+(?:would\s+)?assumes?|i\s+doubt|doubt\s+it|i\s+(?:don'?t|do\s+not)\s+think|i\s+(?:could|might)\s+be\s+wrong|"
    r"as\s+(?:far\s+as\s+)?i\s+(?:understand|know|recall|remember)|if\s+i\s+(?:remember|recall)|i\s+forget|"
    r"should\s+(?:be\s+)?(?:enough|sufficient|suffice)|should\s+do\s+(?:it|the\s+trick))\b",
    re.IGNORECASE,
)  # a guess or a preference ("should be enough", "I don't think you can"): without a concrete step it is not a fix
# The helper's promise to deliver the content later ("I'll pm you the address", "let me google around", "gimme a
# sec, uploading it"): not content, and a plain thanks right after it thanks the promise (`find_confirmation`).
_PROMISES = re.compile(
    r"\b(?:i'?ll|i\s+will|i'?m\s+(?:going\s+to|gonna)|let\s+me|lemme)\s+(?:just\s+|quickly\s+|first\s+|go\s+)?"
    r"(?:pm|/?msg|mesg|message|e-?mail|send|post|paste|upload\w*|find|look|search|google|get\s+back|dig)\b"
    r"|^\W*(?:gimme|give\s+me|just|one|wait|hold\s+on)\s+a?\s*(?:sec|second|moment|minute|min|bit)\b",
    re.IGNORECASE,
)
# A turn that points at content said or sent elsewhere: an imperative whose object is another turn's ("type that as
# a command", "paste that in", "try that link"), or "that info opened in a new tab", "see my private message". The
# lesson is read without the dialogue: a pointer teaches nothing.
_POINTS_ELSEWHERE = re.compile(
    r"^\W*(?:(?:ahh?|ok(?:ay)?|so|then|just|now|and)\W+)*(?:open\s+(?:up\s+)?a\s+terminal\W+(?:and\s+)?)?"
    r"(?:type|paste|enter|copy|follow|read|try)\s+(?:that|this|it|them|those|these)\b"
    r"|\b(?:that|this)\s+(?:info|information|link|url)\b|\bprivate\s+message|\bnew\s+tab\b"
    r"|\b(?:pm|/?msg|mesg)\s+(?:you|u)\b",
    re.IGNORECASE,
)
_WARNS = re.compile(
    r"\b(?:be\s+aware|keep\s+in\s+mind|beware|watch\s+out|make\s+sure\s+it\s+(?:doesn'?t|does\s+not))\b", re.I
)
_ASIDE = re.compile(r"^\(.*\)\W*$|^(?:because|cause|coz|cuz)\b", re.IGNORECASE)  # an aside; the answer to a "why?"
FIRST_PERSON = re.compile(r"\b(?:i|me|my|mine|i'?m|i'?ve|i'?d)\b", re.IGNORECASE)  # the helper talks about themself
_ASKS = re.compile(
    r"^\s*(?:what|which|where|when|who|why|how|is|are|was|were|do|does|did|have|has|can|could|would|will|any|"
    r"anything|so|and|or|you)\b",
    re.IGNORECASE,
)


_INTERJECTION = re.compile(r"^(?:(?:hmm+|hm+|well|ok(?:ay)?|so|ah+|oh+|uh+|um+|err?)\b[\s,.!:;-]*)+", re.IGNORECASE)
# The bot saying it has no such factoid ("Sorry, I don't know anything about lspci - try searching on ...").
_BOT_MISS = re.compile(r"^\W*(?:sorry,?\s+)?i\s+(?:don'?t|do\s+not)\s+know\s+anything\s+about\b", re.IGNORECASE)
_FACTOID_CALL = re.compile(r"^\s*!\S+(?:\s+\S+){0,5}\s*(?:\(.*\))?\s*$")
_MIN_NEW_TERM = 4  # a short recommendation names something the customer did not ("gqview", "avidemux")
_SENTENCES = re.compile(r"(?<=[.!;])\s+")
_EMOTICON = re.compile(r"[:;]-?[()DPp]|\blol\b|\bheh\b|!$")


# Links whose target says nothing by itself: a paste or a screenshot someone made, a link shortener.
_OPAQUE_LINK = re.compile(
    r"paste|imageshack|imgur|tinypic|irccloud|ompldr|imagebin|screenshot|tinyurl|bit\.ly|goo\.gl", re.IGNORECASE
)

_SEARCH_LINK = re.compile(r"\b(?:google|bing|duckduckgo)\.\w+/(?:search|\?q=)|lmgtfy\.com", re.IGNORECASE)


def _telling_link(body: str) -> bool:
    """Whether the turn links to a page that can teach the fix (not a search, a paste or a screenshot)."""
    return any(
        not _SEARCH_LINK.search(link) and not _OPAQUE_LINK.search(link)
        for link in (m.group(0) for m in _LINK.finditer(body))
    )


def body_of(text: str) -> str:
    """The turn without the "nick: " prefix it addresses someone with."""
    match = _ADDRESS.match(text)
    return text[match.end() :].strip() if match else text.strip()


def addressee(text: str, handles: frozenset[str] | None = None) -> str | None:
    """The handle a turn starts by addressing ("nick: ..."), lower case, or None; with `handles`, only those."""
    match = _ADDRESS.match(text)
    if not match:
        return None
    name = match.group(1).lower()
    return name if handles is None or name in handles else None


# Extraction asks about the same turn, with the same customer words, several times per case (finding the
# confirmation, the fix, the keep model's cues): 60 % of the asks in a replay are repeats.
@functools.lru_cache(maxsize=CONTENT_CACHE)
def carries_content(text: str, role: str = "analyst", customer_words: frozenset[str] = frozenset()) -> bool:
    """Whether an analyst (or bot) turn carries a step, a command, a setting, a link or an explanation.

    With `customer_words` (the customer's terms), a short turn that names something new to the
    customer ("gqview is one") counts too.
    """
    body = body_of(text)
    if not body or (role != "bot" and _FACTOID_CALL.match(body)):
        return False  # "!grub | nick" asks the bot; its reply is the content
    terms = specific_terms(body)
    has_step = bool(_COMMAND.search(body) or _SETTING.search(body) or _telling_link(body))
    if role == "bot":
        return not _BOT_MISS.match(body) and (len(terms) >= 3 or has_step)
    if _SMALL_TALK.match(body) and not has_step and len(terms) < 4:
        return False
    if _UNSURE.match(body) and not has_step and len(terms) < 6:
        return False
    plain = _INTERJECTION.sub("", body)
    if (_PROMISES.search(plain) or _POINTS_ELSEWHERE.search(plain)) and not has_step:
        return False
    if ("?" in body and (_ASKS.match(plain) or not has_step)) or _INVERTED.match(plain):
        # A question back to the customer, unless it proposes a step with something concrete in it.
        return bool(_PROPOSES.match(plain)) and (has_step or len(terms) >= 3)
    concrete = bool(_COMMAND.search(body) or _SETTING.search(body))
    if (_HEDGE.search(body) and not has_step) or _ASIDE.match(body):
        return False
    if (not concrete and _WARNS.search(body)) or (len(FIRST_PERSON.findall(body)) >= 3 and not _COMMAND.search(body)):
        return False  # a warning, or the helper's own story, is not a step
    if has_step:
        return True
    if any(_IMPERATIVE.match(_INTERJECTION.sub("", part)) for part in _SENTENCES.split(plain)) and len(terms) >= 1:
        return True
    if len(terms) >= 4 or (len(terms) >= 2 and bool(_EXPLAINS.search(body))):
        return True
    new = [t for t in terms if len(t) >= _MIN_NEW_TERM and t not in customer_words and not t.isdigit()]
    short = 2 <= len(body.split()) <= 8 and not _EMOTICON.search(body)
    return bool(customer_words) and bool(new) and short and not _SMALL_TALK.match(body)


def asks_back(text: str) -> bool:
    """Whether a helper turn asks the customer something ("what version are you on?"); a question that proposes
    a step ("did you try sudo dpkg-reconfigure mysql-server?") does not ask back, it answers."""
    if "?" not in text:
        return False
    return not _PROPOSES.match(_INTERJECTION.sub("", body_of(text)))


def gives_step(text: str) -> bool:
    """Whether a turn names something to do: a command, a setting or path, or a link to a page that teaches it."""
    body = body_of(text)
    return bool(_COMMAND.search(body) or _SETTING.search(body) or _telling_link(body))


def hedges(text: str) -> bool:
    """Whether a turn guesses or prefers ("maybe", "I think", "I doubt it"), whatever else it says."""
    return bool(_HEDGE.search(body_of(text)))


def is_diagnostic(text: str) -> bool:
    """Whether an analyst turn asks to check or run something (what was tried before the fix)."""
    body = body_of(text)
    return bool(_COMMAND.search(body) or _SETTING.search(body)) or bool(
        re.match(
            r"^\s*(?:check|look\s+at|run|try|paste|pastebin|show|what\s+does|what\s+do(?:es)?\s+.*\bsay)", body, re.I
        )
    )


# Asking to look: check, inspect, compare, ask, paste or show what something says, or run something to see.
_LOOKS = re.compile(
    r"^\W*(?:(?:can|could|would)\s+(?:you|u)\s+(?:please\s+)?|please\s+|first,?\s+|now\s+)?"
    r"(?:check|look\s+(?:at|in|into)|see\s+(?:if|whether|what|which)|verify|confirm|inspect|compare|ask|find\s+out|"
    r"paste|pastebin|show\s+(?:me|us)|tell\s+(?:me|us)\s+(?:what|which|if|whether))\b"
    r"|\b(?:what\s+(?:does|do|did)\b.{1,80}\b(?:say|show|output|print|return|report)s?)\b"
    r"|\brun\b.{1,120}?\b(?:and\s+(?:paste|pastebin|put|post|show|tell|see|check)|to\s+(?:list|see|show|check|find|"
    r"confirm|verify|get)|output)\b",
    re.IGNORECASE,
)
# Commands that only read: running one is a check, unless the turn also changes something.
_READS = re.compile(
    r"\b(?:strace|ltrace|dmesg|lspci|lsusb|lsmod|lsblk|lshw|lsb_release|uname|df|du|free|journalctl|blkid|"
    r"fdisk\s+-l|parted\s+-l|ip\s+(?:a|addr|route|link)|ifconfig|iwconfig|iwlist|ping|traceroute|dig|nslookup|"
    r"which|whereis|ps|top|htop|tail|head|less|stat|apt-cache\s+(?:policy|show|search|madison)|"
    r"dpkg\s+-[lsLS]\b|systemctl\s+status|service\s+\S+\s+status|(?:kubectl|oc)\s+(?:get|describe|logs|top|events|adm\s+top)|"
    r"docker\s+(?:ps|logs|inspect)|git\s+(?:status|log|diff))\b",
    re.IGNORECASE,
)
_CHANGES = re.compile(
    r"\b(?:install|reinstall|remove|purge|rm|chmod|chown|mv|cp|edit|nano|vim?|gedit|reboot|restart|shutdown|mkfs|"
    r"update-grub|grub-install|export|delete|apply|patch|scale|drain|set|add|change|replace)\b|>",
    re.IGNORECASE,
)


def is_check(text: str) -> bool:
    """Whether an analyst turn checks something (looks, asks for output, runs a command that only reads),
    as opposed to a step that changes something: what a skill's Diagnosis lists."""
    body = body_of(text)
    if _LOOKS.search(body):
        return True
    return bool(_READS.search(body)) and not _CHANGES.search(body)


def promises(text: str) -> bool:
    """Whether a helper turn only promises content for later ("I'll pm you the address", "let me google around")."""
    return bool(_PROMISES.search(_INTERJECTION.sub("", body_of(text)))) and not gives_step(text)


_DEFLECTS = re.compile(
    r"\b(?:not\s+sure|no\s+idea|(?:i\s+)?don'?t\s+(?:know|where)|dunno|forgot|no\s?one\s+here|nobody\s+here|"
    r"ask\s+(?:again|in|on|the)|try\s+asking|can'?t\s+help|good\s+luck|maybe\s+someone|someone\s+else|"
    r"should\s+i\s+search|i\s+agree|gotta\s+go|brb|afk|unban|ban(?:s|ned)?|you'?re\s+welcome|no\s+problem|"
    r"lemme|i\s+think\s+so|noobish|might\s+help|it\s+depends|(?:also\s+)?try\s+asking|ask\s+in|discussion\s+in|"
    r"support\s+and\s+discussion|thanks\s+for\s+(?:your\s+)?patience|sorry\s+for\s+the\s+wait|"
    r"if\s+any\s?(?:one|body)\s+knows|(?:some|any)\s?(?:one|body)\s+(?:will|may|might|should)\s+(?:respond|answer|help)|"
    r"respond\s+asap|please\s+stop|stop\s+(?:that|it|pasting|flooding)|don'?t\s+(?:paste|flood)|"
    r"(?:bit\s+)?hard\s+to\s+(?:say|tell|recommend|know)|depends\s+on\s+what|(?:don'?t\s+think|doubt)\s+(?:i|we)\s+can\s+help)\b"
    r"|(?:^|\s)#[a-z][\w+.-]*",
    re.IGNORECASE,
)


_THANKED = re.compile(r"\b(?:thanks?|thank\s*you|thx|ty)\b", re.IGNORECASE)


# Pointing at where an answer is without giving it: a deflection even when a command is named.
_REFERS = re.compile(
    r"\b(?:it'?s\s+(?:all\s+)?(?:definitely\s+)?in\s+there|rtfm|(?:paste|answer|link)\s+above)\b"
    # Telling the customer to search is a search link in words ("try searching https://help.ubuntu.com",
    # "search ubuntuforums.org", "google it").
    r"|\bsearch(?:ing)?\s+(?:(?:on|in|at|through|the)\s+)*(?:google|web|internet|net\b|forums?|ubuntuforums|askubuntu|"
    r"bing|duckduckgo|https?://|www\.)|\btry\s+searching\b|\bgoogle\s+(?:it|for\s+it|that|is\s+your\s+friend)\b",
    re.IGNORECASE,
)


def deflects(text: str) -> bool:
    """Whether a fix only deflects ("not sure", "ask in #other", "good luck", a search link) without a step."""
    body = body_of(text)
    if _SEARCH_LINK.search(body) or _REFERS.search(body):
        return True
    step = _COMMAND.search(body) or _SETTING.search(body) or _telling_link(body)
    return bool(_DEFLECTS.search(body)) and not step


def unsure(text: str) -> bool:
    """Whether a helper turn opens by saying they do not know ("none, sorry :(", "no idea", "dunno")."""
    return bool(_UNSURE.match(body_of(text)))


def asks_about(message: Message) -> bool:
    """Whether a customer turn asks something specific (the question a fix can answer)."""
    if message.role != "customer" or message.kind != "question" or _THANKED.search(message.text):
        return False
    return len(specific_terms(message.text)) >= 2


def calls_factoid(text: str) -> bool:
    """Whether a turn calls the bot for a factoid ("!grub | nick"): the bot's reply is then the caller's."""
    return bool(_FACTOID_CALL.match(body_of(text)))


def is_concrete(text: str) -> bool:
    """Whether a turn names a command, a setting or path, or any link (unlike `gives_step`, a paste or a search too)."""
    body = body_of(text)
    return bool(_COMMAND.search(body) or _SETTING.search(body) or _LINK.search(body))
