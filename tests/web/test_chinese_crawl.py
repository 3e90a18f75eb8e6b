"""Chinese throughout (issue 23): every page each role reaches by links, in the default
language, has no English words but names, units and codes."""

from __future__ import annotations

import pytest

from tests.web.crawl import ROLES, crawl, english_words, users, visible_text

# Data rather than text: the labels the tests give their tokens.
DATA = {"tests"}


@pytest.mark.parametrize("role", ROLES)
def test_every_page_a_role_reaches_is_in_chinese(app, web_db, role):
    url = f"gpkg://{web_db}"
    pages = crawl(app, url, role)
    assert pages, role
    allowed = users(url) | DATA  # after the crawl, which made its user
    found = {
        page.url: words
        for page in pages
        if (words := english_words(visible_text(page.html), allowed))
    }
    assert not found, "English in Chinese pages:\n" + "\n".join(
        f"  {url}: {' '.join(words)}" for url, words in found.items()
    )
