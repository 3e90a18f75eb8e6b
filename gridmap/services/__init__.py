"""The use cases: each owns its transaction and is what both the command line and the web
app call.  Services sit between the entry points (and ``boundaries``) above and the lookup
index, the stores and the pure domain below; they read no environment: settings come in as
values.

- ``cases``: report and act on a case, escalate what is overdue, route the unrouted, the
  board;
- ``escalation``: escalating on time (one gate per process, the web app's thread);
- ``hazards``: inspect a hazard (results, the next one due, the inspection with photos);
- ``generations``: activate a generation (moving events and re-routing open cases);
- ``open311``: the public channel;
- ``sessions``: signing in (attempt limits, browser sessions) and signing a user out everywhere.
- ``approvals``: a plan submitted for approval, sent back with a note, or published (the
  publishing path itself is handed in by ``boundaries.workspace.Workspace.approve``).

The planner's use cases use ``boundaries``, so they live there, above this package:
``boundaries.runs`` (an automatic plan, for the CLI and the web's jobs),
``boundaries.workspace.Workspace`` (stored plans, the painting session, compare, publish)
and ``boundaries.publish``.
"""
