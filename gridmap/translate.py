"""The domain's text in a language: messages (``gridmap.errors.say``) translated through
the message catalogues, without Flask.

The catalogues are the web's (``web/translations/<lang>/LC_MESSAGES/messages.po``: one
catalogue for every string a person reads, kept complete by ``tests/web/test_catalogue.py``);
they are read here with Babel alone, compiled in memory once per process and language, so
that what the domain writes for a person who is not at a page (a notification in the
recipient's language) and what a page shows come from the same translations.  English is
the text of the code itself.
"""

from __future__ import annotations

import functools
import io
from gettext import NullTranslations
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from gridmap.errors import Listed, Message, Named, Titled

LANGUAGES = ("zh", "en")
CATALOGUES = Path(__file__).resolve().parents[1] / "web" / "translations"


@functools.cache
def translations(lang: str) -> NullTranslations:
    """``lang``'s catalogue (English, or a language without one: the code's own words)."""
    po = CATALOGUES / lang / "LC_MESSAGES" / "messages.po"
    if lang == "en" or not po.exists():
        return NullTranslations()
    with po.open("rb") as f:
        catalogue = read_po(f, locale=lang)
    mo = io.BytesIO()
    write_mo(mo, catalogue)
    mo.seek(0)
    return Translations(mo)


def gettext(text: str, lang: str) -> str:
    """``text`` (a template of the code, in English) in ``lang``."""
    return translations(lang).gettext(text)


def separator(sep: str, lang: str) -> str:
    """How ``lang`` joins a list that English joins with ``sep`` (marked for the
    catalogue in ``web.i18n.SEPARATORS``)."""
    return translations(lang).pgettext("separator", sep)


def localized(text, lang: str) -> str:
    """``text`` in ``lang``: a message's template translated, then filled with its values
    (themselves localized: a message may hold messages, names in both languages, lists);
    any other text as it is.  A translation that does not fit its values falls back on
    the English."""
    if isinstance(text, Named):
        return text.zh if lang == "zh" else str(text)
    if isinstance(text, Titled):
        return localized(text.title, lang)
    if isinstance(text, Listed):
        return separator(text.sep, lang).join(localized(x, lang) for x in text.items)
    if not isinstance(text, Message):
        return str(text)
    translated = gettext(text.template, lang)
    if not text.values:
        return translated
    values = {k: localized(v, lang) if isinstance(v, str) else v for k, v in text.values.items()}
    try:
        return translated.format(**values)
    except (KeyError, IndexError, ValueError):
        return str(text)
