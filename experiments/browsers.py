"""`browser_exclude_rule`: refusing browsers an experiment does not support.

The rule is a comma-separated list. `mobile`, `tablet`, `touchcapable`, `pc` and `bot` name
kinds of device; anything else (`MSIE`, `Firefox`, `Safari`...) is matched against the
browser's name in its User-Agent header.
"""

import re

BROWSER_PATTERNS = {
    "msie": r"MSIE |Trident/",
    "ie": r"MSIE |Trident/",
    "edge": r"Edg(e|A|iOS)?/",
    "chrome": r"Chrome/|CriOS/",
    "chromium": r"Chromium/",
    "firefox": r"Firefox/|FxiOS/",
    "safari": r"^(?!.*(Chrome|Chromium|CriOS|Edg|OPR)/).*Safari/",
    "opera": r"OPR/|Opera",
}
TABLET = r"iPad|Tablet|Kindle|Silk/|PlayBook|(Android(?!.*Mobile))"
MOBILE = r"Mobi|iPhone|iPod|Android.*Mobile|Windows Phone|BlackBerry|Opera Mini"
BOT = r"bot\b|crawl|spider|slurp"


def _is(pattern: str, user_agent: str) -> bool:
    return re.search(pattern, user_agent, re.IGNORECASE) is not None


def excluded_by(rule: str | None, user_agent: str) -> str | None:
    """The entry of `rule` that excludes this browser, or None if it may take part."""
    user_agent = user_agent or ""
    tablet = _is(TABLET, user_agent)
    mobile = not tablet and _is(MOBILE, user_agent)
    for entry in (part.strip() for part in (rule or "").split(",")):
        name = entry.lower()
        if not name:
            continue
        if name == "mobile" and mobile:
            return entry
        if name == "tablet" and tablet:
            return entry
        if name == "touchcapable" and (mobile or tablet):
            return entry
        if name == "pc" and not (mobile or tablet):
            return entry
        if name == "bot" and _is(BOT, user_agent):
            return entry
        if name not in ("mobile", "tablet", "touchcapable", "pc", "bot"):
            pattern = BROWSER_PATTERNS.get(name, re.escape(entry))
            if _is(pattern, user_agent):
                return entry
    return None
