"""Who reads a staged generation, and who may make the server build its lookup index."""

from __future__ import annotations

import pytest

from gridmap import access
from gridmap.errors import Forbidden
from gridmap.model import Generation

OLD, ACTIVE, STAGED = (
    Generation(i, name, active=i == 2) for i, name in ((1, "2010"), (2, "2011"), (3, "2012"))
)
GENS = [OLD, ACTIVE, STAGED]
PLANNER = access.Caller("p", frozenset({access.PLANNER}))
DISPATCHER = access.Caller("d", frozenset({access.DISPATCHER}))


@pytest.mark.parametrize("public", [False, True])
def test_staged_generations_are_read_by_planners_and_admins_unless_the_city_opens_them(public):
    for gen in (OLD, ACTIVE):
        view = access.generation_view(gen, GENS, public)
        assert not view.staged and access.may(access.ANONYMOUS, access.GENERATION_READ, view)
    view = access.generation_view(STAGED, GENS, public)
    assert view.staged
    assert access.may(PLANNER, access.GENERATION_READ, view)
    for caller in (access.ANONYMOUS, DISPATCHER):
        assert access.may(caller, access.GENERATION_READ, view) is public
        if not public:
            with pytest.raises(Forbidden, match="staged"):
                access.require(caller, access.GENERATION_READ, view)


def test_only_a_signed_in_user_builds_a_staged_generation_s_index():
    staged = access.generation_view(STAGED, GENS, staged_public=True)
    active = access.generation_view(ACTIVE, GENS, staged_public=True)
    assert access.builds_index(access.ANONYMOUS, active)
    assert not access.builds_index(access.ANONYMOUS, staged)
    assert not access.builds_index(access.reporter(7), staged)
    assert access.builds_index(DISPATCHER, staged) and access.builds_index(access.SYSTEM, staged)
