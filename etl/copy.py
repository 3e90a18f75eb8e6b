"""Copy everything from one store to another, then check that nothing changed on the way.

The target must be empty.  Generations keep their names, order, active flag and dates;
areas keep their validity ranges; incidents and hazards keep their area codes; users keep
their roles and passwords.  API tokens are not copied (the store keeps only digests of
them) and the audit trail stays with the source: the copy records its own.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import shapely

from gridmap.catalogue import STATUSES
from gridmap.errors import StoreError
from gridmap.stores import Store, schema


def copy_store(src: Store, dst: Store, progress: Callable[[str], None] = print) -> dict:
    if dst.layers() or dst.generations():
        raise StoreError(f"{dst.url} is not empty: copy into an empty store")
    gens = src.generations()
    with dst.transaction():
        ids = {}
        for g in gens:
            ids[g.id] = dst.add_generation(g.name, g.description).id
            if g.effective_from or g.effective_to:
                dst.set_effective(ids[g.id], g.effective_from, g.effective_to)
        for layer in src.layers(retired=True):
            dst.add_layer(layer)
            dst.set_layer_crs(layer.name, src.layer_crs(layer.name))  # its metric CRS
        for layer in src.layers(retired=True):
            n = 0
            for frame in _all_areas(src, layer.name, gens):
                for (g0, g1), part in frame.groupby(["gen_from", "gen_to"], dropna=False):
                    until = None if g1 is None or g1 != g1 else ids[int(g1)]
                    n += dst.write_areas(layer.name, part, ids[int(g0)], until=until)
            progress(f"{layer.name}: {n} areas")
        active = [g for g in gens if g.active]
        if active:
            dst.mark_active(ids[active[0].id])  # events come after, with their generations
        dst.add_officers(src.officers())
        keys = {}
        for kind in ("incidents", "hazards"):
            frame = _events(src, kind)
            frame["generation"] = [
                None if v is None or v != v else ids[int(v)] for v in frame["generation"]
            ]
            added = (dst.add_incidents if kind == "incidents" else dst.add_hazards)(frame)
            keys[kind] = dict(zip(frame["id"].tolist(), added, strict=True))
            progress(f"{kind}: {len(frame)}")
        _copy_cases(src, dst, keys["incidents"], keys["hazards"], progress)
        for saved in src.plans():
            full = src.load_plan(saved["id"])
            spec = dict(full["spec"], generation=ids.get(full["spec"].get("generation")))
            dst.save_plan(
                full["name"], spec, full["assignment"], bounds=full["bounds"], author=full["author"]
            )
        progress(f"plans: {len(src.plans())}")
        for u in src.users():  # with their password hashes: the same people sign in
            dst.add_user(u.name, u.password_hash, u.roles, u.areas, u.department)
            if not u.active:
                dst.update_user(u.name, active=False)
        # Tokens cannot move: only their digests are kept, and a digest is no token.
        progress(f"users: {len(src.users())} (tokens are not copied: make new ones)")
    return verify(src, dst)


def _copy_cases(src: Store, dst: Store, incidents: dict, hazards: dict, progress) -> None:
    """Departments, routing rules, calendar days, the city's clocks per category, each
    case's state and steps, photos and inspections, with the events' new ids."""
    for d in src.departments().values():
        dst.save_department(d)
    for rule in src.rules():
        dst.add_rule(rule)
    for day in src.calendar_notes():
        dst.set_calendar_day(day["day"], day["working"], day["note"])
    for clock in src.clock_rules():
        dst.set_clock_rule(clock.code, clock)
    columns = [*schema.CASE_COLUMNS, *schema.CLOCK_COLUMNS]
    state = [
        {"_id": incidents[row["id"]], **{c: row[c] for c in columns}}
        for row in src.cases(statuses=list(STATUSES), limit=1 << 62)
    ]
    for row in state:  # hazard links follow the hazards' new ids
        if row["hazard_id"] is not None:
            row["hazard_id"] = hazards.get(row["hazard_id"])
    dst.set_cases(state)
    events = {}
    for name, key in (("case_events", "incident_id"), ("inspections", "hazard_id")):
        rows = src.case_rows(name)
        new = incidents if key == "incident_id" else hazards
        for row in rows:
            row[key] = new[row[key]]
        dst.add_case_rows(name, [_without_id(r) for r in rows])
        events[name] = {r["id"]: i for r, i in zip(rows, _ids(dst, name, len(rows)), strict=True)}
    photos = src.case_rows("photos")
    for row in photos:
        row["incident_id"] = row["incident_id"] and incidents[row["incident_id"]]
        row["hazard_id"] = row["hazard_id"] and hazards[row["hazard_id"]]
        kind = "case_events" if row["incident_id"] else "inspections"
        row["event"] = row["event"] and events[kind].get(row["event"])
    dst.add_case_rows("photos", [_without_id(r) for r in photos])
    # The public channel: client apps' keys, and the tracking numbers of public reports
    # (as digests: a copy keeps every reporter able to follow and rate its report).
    dst.add_case_rows("open311_keys", [_without_id(r) for r in src.case_rows("open311_keys")])
    public = src.case_rows("public_reports")
    for row in public:
        row["incident_id"] = incidents[row["incident_id"]]
    dst.add_case_rows("public_reports", [_without_id(r) for r in public])
    links = src.case_rows("case_links")  # merged duplicates keep their parents
    for row in links:
        row["child_id"], row["parent_id"] = incidents[row["child_id"]], incidents[row["parent_id"]]
    dst.add_case_rows("case_links", [_without_id(r) for r in links])
    _copy_notifications(src, dst, incidents, hazards)
    progress(f"cases: {len(state)} with {sum(len(e) for e in events.values())} steps")


def _copy_notifications(src: Store, dst: Store, incidents: dict, hazards: dict) -> None:
    """People's channels, public reporters' addresses, the outbox (messages not sent yet
    go out from the copy) and the notices given (none is given twice), with the events'
    new ids.  The scheduler's lease is not copied: it is the source's processes'."""
    new = {"incident_id": incidents, "hazard_id": hazards}
    for table in ("contacts", "public_contacts", "outbox"):
        rows = src.case_rows(table)
        for row in rows:
            for key, ids in new.items():
                if row.get(key) is not None:
                    row[key] = ids[row[key]]
        dst.add_case_rows(table, [_without_id(r) for r in rows])
    notices = src.case_rows("notices")
    for row in notices:
        row["ref"] = (hazards if row["kind"] == "inspect" else incidents)[row["ref"]]
    dst.add_case_rows("notices", [_without_id(r) for r in notices])


def _without_id(row: dict) -> dict:
    return {k: v for k, v in row.items() if k != "id"}


def _ids(store: Store, table: str, n: int) -> list[int]:
    """The ids of the last ``n`` rows added to ``table`` (the copy is its only writer)."""
    rows = store.case_rows(table)
    return [r["id"] for r in rows[len(rows) - n :]]


def _events(store: Store, kind: str):
    if kind == "incidents":
        return store.incidents(oldest_first=True).sort_values("id").reset_index(drop=True)
    return store.hazards().sort_values("id").reset_index(drop=True)


def _all_areas(store: Store, layer: str, gens) -> list:
    """Every area of the layer once, whatever generations it spans."""
    seen: set[int] = set()
    out = []
    for g in gens:
        frame = store.areas(layer, g.id)
        frame = frame[~frame["id"].isin(seen)]
        seen.update(frame["id"].tolist())
        out.append(frame.astype({"gen_to": object}).where(frame.notna(), None))
    return out


def verify(src: Store, dst: Store) -> dict:
    """Counts and geometries per layer and generation, officers, incidents, hazards."""
    counts: dict[str, int] = {}
    dst_gens = {g.name: g for g in dst.generations()}
    for g in src.generations():
        for layer in src.layers(retired=True):
            a = src.areas(layer.name, g.id)
            b = dst.areas(layer.name, dst_gens[g.name].id)
            same = (
                list(a["code"]) == list(b["code"])
                and len(a) == len(b)
                and bool(np.all(shapely.equals_exact(a.geometry.values, b.geometry.values, 0)))
            )
            if not same:
                raise StoreError(f"copy check failed: layer {layer.name}, generation {g.name}")
            counts[f"{layer.name}@{g.name}"] = len(a)
    for kind in ("incidents", "hazards"):
        a, b = _events(src, kind), _events(dst, kind)
        if len(a) != len(b) or not np.all(
            shapely.equals_exact(a.geometry.values, b.geometry.values, 0)
        ):
            raise StoreError(f"copy check failed: {kind}")
        counts[kind] = len(a)
    if len(src.officers()) != len(dst.officers()):
        raise StoreError("copy check failed: officers")
    counts["officers"] = len(dst.officers())
    mine, theirs = src.plans(), dst.plans()
    if [p["name"] for p in mine] != [p["name"] for p in theirs] or any(
        src.load_plan(a["id"])["assignment"] != dst.load_plan(b["id"])["assignment"]
        for a, b in zip(mine, theirs, strict=True)
    ):
        raise StoreError("copy check failed: plans")
    counts["plans"] = len(theirs)
    if [(u.name, u.roles, u.active) for u in src.users()] != [
        (u.name, u.roles, u.active) for u in dst.users()
    ]:
        raise StoreError("copy check failed: users")
    counts["users"] = len(dst.users())
    if src.incident_counts() != dst.incident_counts():  # what they count, not their rows
        raise StoreError("copy check failed: cases per status")
    for table in [*schema.CASE_TABLES, *schema.PUBLIC_TABLES, *schema.SCHEDULER_TABLES]:
        if table in ("incident_counts", "leases"):
            continue
        a, b = len(src.case_rows(table)), len(dst.case_rows(table))
        if a != b:
            raise StoreError(f"copy check failed: {table} ({a} rows, copied {b})")
        counts[table] = b
    return counts
