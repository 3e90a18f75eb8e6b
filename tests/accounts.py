"""Callers for the web tests: a user of a role, with a token, created in the store the
app serves (real accounts, real tokens: no switch that turns checks off)."""

from __future__ import annotations

from gridmap import accounts
from gridmap.stores import open_store

PASSWORD = "test password for {name}"


def user_of(url: str, *roles: str, areas: tuple[str, ...] = (), department=None) -> str:
    """A user holding ``roles`` (made once per store); its name.  Password: PASSWORD."""
    name = "-".join(roles) + ("@" + ",".join(areas) if areas else "")
    name += f"#{department}" if department else ""
    with open_store(url) as store:
        if name not in {u.name for u in store.users()}:
            store.add_user(
                name,
                accounts.hash_password(PASSWORD.format(name=name)),
                roles,
                areas,
                department or ("police" if "department" in roles else None),
            )
    return name


def token_for(url: str, *roles: str, areas: tuple[str, ...] = (), department=None) -> str:
    """A new token acting with the first of ``roles``."""
    name = user_of(url, *roles, areas=areas, department=department)
    token, digest = accounts.new_token()
    with open_store(url) as store:
        store.add_token(name, f"tests {len(store.tokens(name))}", digest, roles[0])
    return token


def signed_in(client, url: str, *roles: str, areas: tuple[str, ...] = (), department=None):
    """``client`` calling with a token of a user holding ``roles``."""
    token = token_for(url, *roles, areas=areas, department=department)
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


def logged_in(client, url: str, *roles: str, areas: tuple[str, ...] = (), department=None):
    """``client`` signed in through the login form as a user holding ``roles`` (a session
    carries all of a user's roles; a token one)."""
    name = user_of(url, *roles, areas=areas, department=department)
    r = client.post("/login", data={"name": name, "password": PASSWORD.format(name=name)})
    assert r.status_code == 302, r.get_data(as_text=True)
    return client


def english(client):
    """``client`` asking for English (Accept-Language): for tests that read the English
    messages; pages and messages are Chinese by default."""
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client
